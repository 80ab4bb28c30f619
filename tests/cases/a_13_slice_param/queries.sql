-- name: ByIds :many
SELECT id, label FROM items WHERE id IN (sqlc.slice(ids));
