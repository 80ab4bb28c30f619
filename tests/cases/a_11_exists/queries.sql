-- name: HasItem :one
SELECT EXISTS (SELECT 1 FROM items WHERE id = @id) AS found;
