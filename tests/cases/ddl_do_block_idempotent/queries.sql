-- name: ActiveUsers :many
SELECT id, email FROM users WHERE status = @status;
