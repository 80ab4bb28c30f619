-- name: PerItem :many
WITH x AS (SELECT * FROM items)
SELECT x.id, x.label, count(l.id) AS logs FROM x LEFT JOIN logs l ON l.item_id = x.id GROUP BY x.id;
