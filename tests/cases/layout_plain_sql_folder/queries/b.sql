-- name: Count :one
SELECT count(*) FROM authors;
