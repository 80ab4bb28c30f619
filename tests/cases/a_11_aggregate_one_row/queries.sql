-- name: Stats :one
SELECT count(*) AS n, max(id) AS top FROM items;
