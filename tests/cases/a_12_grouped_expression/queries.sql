-- name: ByDay :many
SELECT date_trunc('day', at) AS day, count(*) AS n FROM items GROUP BY date_trunc('day', at);
