-- name: Taxed :many
SELECT id, price_with_tax(price) AS taxed FROM items;
