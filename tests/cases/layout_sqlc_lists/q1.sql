-- name: Born :one
SELECT born FROM authors WHERE id = $1;
