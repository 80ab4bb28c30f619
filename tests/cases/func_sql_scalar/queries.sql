-- name: Next :many
SELECT add_one(id) AS next FROM items;
