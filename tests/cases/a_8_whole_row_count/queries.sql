-- name: CountLogs :many
SELECT i.id, count(l.*) AS n FROM items i LEFT JOIN logs l ON l.item_id = i.id GROUP BY i.id;
