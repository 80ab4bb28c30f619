-- name: Multi :one
SELECT int4multirange(int4range(1, 2)) AS m;
