-- name: Page :many
SELECT id, label FROM items ORDER BY id LIMIT @n::text;
