-- name: FirstLog :many
SELECT i.id, l.id AS log_id FROM items i LEFT JOIN LATERAL (SELECT id FROM logs WHERE item_id = i.id ORDER BY id LIMIT 1) l ON true;
