-- name: ByLabel :many
SELECT label, at, count(*) AS n
FROM items
GROUP BY label;
