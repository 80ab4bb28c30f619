-- name: Names :many
SELECT name FROM authors;

UPDATE authors SET bio = NULL;
