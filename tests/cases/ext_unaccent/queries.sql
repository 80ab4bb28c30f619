-- name: Plain :many
SELECT unaccent(name) AS plain FROM t;
