-- name: Totals :many
SELECT label, sum(id) AS total, max(id) AS top FROM items GROUP BY label;
