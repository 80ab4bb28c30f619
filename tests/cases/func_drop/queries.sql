-- name: F :many
SELECT f(id) AS v FROM items;
