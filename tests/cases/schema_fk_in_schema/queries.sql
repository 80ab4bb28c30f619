-- name: CustomerTotals :many
SELECT c.name, sum(o.total) AS total FROM shop.customers c JOIN shop.orders o ON o.customer_id = c.id GROUP BY c.name;
