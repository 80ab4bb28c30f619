-- name: About :one
SELECT about FROM authors WHERE id = $1;
