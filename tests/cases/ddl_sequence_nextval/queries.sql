-- name: NextNo :one
SELECT nextval('order_no') AS n;

-- name: Orders :many
SELECT id, no FROM orders;
