-- name: G :many
SELECT g(id) AS v FROM items;
