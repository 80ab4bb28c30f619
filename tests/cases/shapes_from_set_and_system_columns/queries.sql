-- name: Shape1 :many
SELECT kv.key, kv.value FROM docs CROSS JOIN LATERAL jsonb_each(docs.body) AS kv(key, value);

-- name: Shape2 :many
SELECT kv.key, kv.value FROM docs, jsonb_each(docs.body) AS kv;

-- name: Shape3 :many
SELECT key, value FROM docs, jsonb_each_text(docs.body);

-- name: Shape4 :many
SELECT * FROM docs, json_each(docs.body::json) kv;

-- name: Shape5 :many
SELECT * FROM docs, json_each_text(docs.body::json) kv WHERE kv.key = @key;

-- name: Shape6 :many
SELECT e.value FROM docs, jsonb_array_elements(docs.body -> 'n') e;

-- name: Shape7 :many
SELECT * FROM jsonb_array_elements_text('[1, null]'::jsonb) AS e;

-- name: Shape8 :many
SELECT * FROM docs, jsonb_array_elements(docs.body -> 'n') AS e(v);

-- name: Shape9 :many
SELECT g FROM generate_series(1, 10) AS g;

-- name: Shape10 :many
SELECT * FROM generate_series(1, @n) WITH ORDINALITY AS g;

-- name: Shape11 :many
SELECT g.x, g.n FROM generate_series(1, 10) WITH ORDINALITY AS g(x, n);

-- name: Shape12 :many
SELECT * FROM ROWS FROM (generate_series(1, 3), unnest(ARRAY['a', 'b'])) AS r(x, y);

-- name: Shape13 :many
SELECT * FROM CURRENT_DATE;

-- name: Shape14 :many
SELECT d FROM CURRENT_DATE AS d;

-- name: Shape15 :many
SELECT x.a, x.b FROM jsonb_to_record(@doc::jsonb) AS x(a int, b text);

-- name: Shape16 :many
SELECT * FROM ROWS FROM (jsonb_to_record(@doc::jsonb) AS (a int)) AS r;

-- name: Shape17 :many
SELECT count(t.*) AS n FROM items t;

-- name: Shape18 :many
SELECT t.id, to_jsonb(t.*) AS doc FROM items t;

-- name: Shape19 :many
SELECT id FROM items WHERE (a, b) < (SELECT a, b FROM items WHERE id = @id);

-- name: Shape20 :many
SELECT id FROM items WHERE (@x, @y) = (SELECT a, b FROM items WHERE id = 1);

-- name: Shape21 :many
UPDATE items SET (a, b) = (@a, @b) WHERE id = @id RETURNING id;

-- name: Shape22 :many
UPDATE items SET (a, b) = ROW(@a, DEFAULT), c = @c WHERE id = @id RETURNING *;

-- name: Shape23 :many
UPDATE items SET (a, b) = (SELECT a, b FROM items WHERE id = @src) WHERE id = @id RETURNING id;

-- name: Shape24 :many
SELECT COALESCE(@a, 'x') AS v, GREATEST(@b, NULL) AS g;

-- name: Shape25 :many
SELECT CASE WHEN a > 1 THEN @x ELSE NULL END AS v FROM items;

-- name: Shape26 :many
UPDATE items SET b = COALESCE(@b, b) WHERE id = @id RETURNING id;

-- name: Shape27 :many
SELECT (i).a, (i).b, (SELECT (j).c FROM items j WHERE j.id = i.id) AS c FROM items i;

-- name: Shape28 :many
SELECT ctid, xmin, xmax, tableoid, cmin, cmax, i.xmin AS x2 FROM items i;

-- name: Shape29 :many
INSERT INTO items (id, a) VALUES (@id, @a) ON CONFLICT (id) DO UPDATE SET a = excluded.a RETURNING id, (xmax = 0) AS inserted;

-- name: Shape30 :many
DELETE FROM items WHERE ctid = @row RETURNING tableoid::regclass AS t;

-- name: Shape31 :many
SELECT id FROM items TABLESAMPLE SYSTEM (10);

-- name: Shape32 :many
UPDATE items SET c = @x + 1, a = @x WHERE id = 1 RETURNING id;

-- name: Shape33 :many
UPDATE items SET b = @w WHERE id = @w RETURNING id;

-- name: Shape34 :many
INSERT INTO items (id, a, b) VALUES (@p, 1, 'x'), (2, @p, @q) RETURNING id;

-- name: Shape35 :many
SELECT s.id FROM items AS s TABLESAMPLE BERNOULLI (@pct) REPEATABLE (@seed);
