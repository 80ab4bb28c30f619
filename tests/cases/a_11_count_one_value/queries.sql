-- name: CountItems :one
SELECT count(*) FROM items;
