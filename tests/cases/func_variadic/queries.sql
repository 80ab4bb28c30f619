-- name: Total :one
SELECT total(1, 2.5, @x) AS t;
