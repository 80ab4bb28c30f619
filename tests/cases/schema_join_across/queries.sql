-- name: OrderLabels :many
SELECT o.id, i.label, o.qty FROM orders o JOIN app.items i ON i.id = o.item_id WHERE o.qty > @min;
