-- name: Sum :one
SELECT sum(add_one(id)) AS s FROM items;
