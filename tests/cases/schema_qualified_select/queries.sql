-- name: GetLabel :one
SELECT label FROM app.items WHERE id = @id;
