-- name: Nope :many
SELECT add_one(id, label) FROM items;
