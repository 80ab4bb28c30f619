-- name: Qty :many
SELECT qty FROM stock;
