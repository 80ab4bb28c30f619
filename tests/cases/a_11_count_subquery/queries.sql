-- name: WithCount :many
SELECT id, (SELECT count(*) FROM logs WHERE logs.item_id = items.id) AS n FROM items;
