-- name: TruncateAll :exec
TRUNCATE TABLE logs, items RESTART IDENTITY;
