-- name: OrdersWithLabel :many
SELECT o.id, i.label FROM orders o LEFT JOIN app.items i ON i.id = o.item_id;
