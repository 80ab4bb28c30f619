-- name: Priced :many
SELECT id, label FROM priced;

-- name: Products :many
SELECT id, title FROM products;
