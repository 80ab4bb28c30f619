-- name: Title :one
SELECT title FROM app.things WHERE id = @id;
