-- name: Normal :many
SELECT x FROM normal_rand(@n, 0, 1) AS x;
