-- name: Authors :many
SELECT * FROM authors;
