-- name: Nope :many
SELECT add_one(tags) FROM items;
