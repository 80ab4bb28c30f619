-- name: Names :many
SELECT name FROM authors;
