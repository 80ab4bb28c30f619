-- name: Emails :many
SELECT id, email FROM authors;
