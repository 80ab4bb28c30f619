-- name: ByName :many
SELECT id FROM authors WHERE name = $1;
