-- name: Users :many
SELECT id, email FROM users;
