-- name: Stock :many
SELECT id, qty FROM stock;
