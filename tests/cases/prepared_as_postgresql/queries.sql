-- name: Prepared1 :exec
INSERT INTO items VALUES (1, 'x');

-- name: Prepared2 :exec
INSERT INTO logs (item_id, doc) VALUES (1, '{}') ON CONFLICT (item_id) DO UPDATE SET doc = excluded.doc;

-- name: Prepared3 :exec
INSERT INTO items (id, label) VALUES (1, 'x') ON CONFLICT (id) DO UPDATE SET label = 'y';

-- name: Prepared4 :exec
INSERT INTO items (id, label) VALUES (1, 'x') ON CONFLICT DO NOTHING;

-- name: Prepared5 :exec
INSERT INTO items (id, label) SELECT 1, 'a' UNION SELECT 2, 'b';

-- name: Prepared6 :exec
-- WHERE is typed before SET, as PostgreSQL does: @x is int4, and text takes it.
UPDATE items SET label = @x WHERE id = @x;
