-- name: HasItem :one
SELECT EXISTS (SELECT 1 FROM app.items WHERE label = @label) AS found;
