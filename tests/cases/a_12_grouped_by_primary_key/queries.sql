-- name: PerItem :many
SELECT i.id, i.label, count(l.id) AS logs FROM items i LEFT JOIN logs l ON l.item_id = i.id GROUP BY i.id;
