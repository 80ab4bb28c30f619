-- name: DeleteItem :exec
DELETE FROM app.items WHERE id = @id;
