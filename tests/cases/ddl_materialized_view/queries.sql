-- name: Totals :many
SELECT region, total, n FROM region_totals ORDER BY total DESC;
