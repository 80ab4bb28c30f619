-- name: N :one
SELECT n FROM app.items WHERE id = sqlc.arg(id);
