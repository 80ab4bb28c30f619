-- name: Grouped1 :many
SELECT label, count(*) AS n FROM items GROUP BY id;

-- name: Grouped2 :many
SELECT i.label, count(*) AS n FROM items i GROUP BY label;

-- name: Grouped3 :many
SELECT lower(i.label) AS l, count(*) AS n FROM items i GROUP BY lower(label);

-- name: Grouped4 :many
SELECT label AS x, count(*) AS n FROM items GROUP BY x;

-- name: Grouped5 :many
SELECT label, count(*) AS n FROM items GROUP BY 1;

-- name: Grouped6 :many
SELECT * FROM items GROUP BY id;

-- name: Grouped7 :many
SELECT label, count(*) OVER () AS n FROM items GROUP BY label;

-- name: Grouped8 :many
SELECT n + 1 AS m, sum(id) AS s FROM items GROUP BY n + 1;

-- name: Grouped9 :many
SELECT i.id, l.doc FROM items i JOIN logs l ON l.item_id = i.id GROUP BY i.id, l.id;

-- name: Grouped10 :many
SELECT label, count(*) AS n FROM items GROUP BY ROLLUP (label);
