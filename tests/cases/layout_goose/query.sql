-- name: Bio :one
SELECT bio FROM authors WHERE id = $1;
