-- name: Label :one
SELECT label FROM items WHERE id = @id;
