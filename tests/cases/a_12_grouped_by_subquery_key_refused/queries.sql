-- name: PerItem :many
SELECT x.id, x.label, count(l.id) AS logs
FROM (SELECT * FROM items) x LEFT JOIN logs l ON l.item_id = x.id
GROUP BY x.id;
