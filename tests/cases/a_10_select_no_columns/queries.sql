-- name: Touch :execrows
SELECT FROM items WHERE id = @id;
