-- name: G1 :many
WITH x AS (SELECT * FROM items) SELECT x.id, x.label, count(*) FROM x GROUP BY x.id;
-- name: G2 :many
SELECT x.id, x.label, count(*) FROM (SELECT * FROM items) x GROUP BY x.id;
-- name: G3 :many
SELECT x.id, x.label, count(*) FROM v x GROUP BY x.id;
