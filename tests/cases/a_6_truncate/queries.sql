-- name: TruncateItems :exec
TRUNCATE items CASCADE;
