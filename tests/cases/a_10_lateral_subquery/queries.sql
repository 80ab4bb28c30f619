-- name: Latest :many
SELECT i.id, l.m FROM items i CROSS JOIN LATERAL (SELECT max(id) AS m FROM logs WHERE item_id = i.id) l;
