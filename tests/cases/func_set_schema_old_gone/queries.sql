-- name: Twice :many
SELECT twice(id) AS t FROM items;
