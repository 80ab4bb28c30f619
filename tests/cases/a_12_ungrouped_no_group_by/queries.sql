-- name: Mixed :one
SELECT label, count(*) AS n FROM items;
