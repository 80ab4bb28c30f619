-- name: Label :one
SELECT label FROM nope.items WHERE id = @id;
