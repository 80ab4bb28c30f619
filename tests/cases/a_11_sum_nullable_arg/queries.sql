-- name: NTotals :many
SELECT label, sum(n) AS total FROM items GROUP BY label;
