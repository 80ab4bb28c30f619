-- name: Range1 :many
SELECT int4range(@lo, @hi) AS r;

-- name: Range2 :many
SELECT tstzrange(NULL, NULL) AS r, daterange(NULL, CURRENT_DATE, '[]') AS d;

-- name: Range3 :many
SELECT numrange(n, NULL) @> 1.5 AS c FROM items;

-- name: Range4 :many
SELECT int8range(1, 5) * int8range(@lo, 10) AS r;

-- name: Range5 :many
SELECT lower(tsrange(at, NULL)) AS l FROM items;

-- name: Range6 :many
SELECT int4multirange(int4range(1, 2)) AS m;
