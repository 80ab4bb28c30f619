-- name: Orders :one
SELECT count_orders() AS n;
