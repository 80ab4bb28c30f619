-- name: Twice :many
SELECT util.twice(id) AS t FROM items;
