-- name: Ids :many
SELECT id FROM items;
