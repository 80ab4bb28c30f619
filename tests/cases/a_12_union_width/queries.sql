-- name: Union :many
SELECT id, label FROM items
UNION ALL
SELECT id FROM logs;
