-- name: Orders :many
SELECT * FROM orders;
