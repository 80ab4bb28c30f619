-- name: Exists :one
SELECT FROM items WHERE id = @id;
