-- name: WholeRow1 :many
SELECT row_to_json(i) AS j, to_jsonb(i.*) AS b FROM items i;

-- name: WholeRow2 :many
SELECT count(DISTINCT i.*) AS n FROM items i;

-- name: WholeRow3 :many
WITH x AS (SELECT id FROM items) SELECT x FROM x;

-- name: WholeRow4 :many
SELECT s FROM (SELECT 1 AS a) s;
