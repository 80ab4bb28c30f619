-- name: Doubled :many
SELECT double_it(id) AS d FROM items;
