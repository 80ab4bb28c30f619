-- name: Rows :many
SELECT i.id, i FROM items i;
