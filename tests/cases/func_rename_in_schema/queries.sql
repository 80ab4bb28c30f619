-- name: Double :many
SELECT util.double(id) AS t FROM items;
