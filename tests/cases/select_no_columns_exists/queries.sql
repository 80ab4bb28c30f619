-- name: Exists :one
SELECT EXISTS (SELECT FROM items WHERE id = @id);
