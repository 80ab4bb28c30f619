-- name: N :many
SELECT id FROM t WHERE n = @n;
