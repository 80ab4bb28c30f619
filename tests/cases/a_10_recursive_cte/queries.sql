-- name: Count :many
WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < @max) SELECT n FROM r;
