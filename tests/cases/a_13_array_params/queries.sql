-- name: Tagged :many
SELECT id FROM items WHERE tags && @tags AND id = ANY(@ids::int[]);
