-- name: Mixed :many
SELECT id FROM items WHERE id = $1 AND label = @label;
