-- name: N :one
SELECT n FROM items WHERE id = @id;
