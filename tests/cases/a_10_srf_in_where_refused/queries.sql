-- name: Where :many
SELECT id FROM items WHERE id = upto(3);
