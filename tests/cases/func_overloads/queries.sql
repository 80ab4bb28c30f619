-- name: ByInt :many
SELECT describe(id) AS d FROM items;

-- name: ByText :many
SELECT describe(label) AS d FROM items;
