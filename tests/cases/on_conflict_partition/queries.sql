-- name: Up :exec
INSERT INTO ev_a (id, kind, n) VALUES (@id, @kind, @n) ON CONFLICT (id, kind) DO UPDATE SET n = excluded.n;
-- name: Up2 :exec
INSERT INTO ev_a (id, kind, n) VALUES (@id, @kind, @n) ON CONFLICT (kind, n) DO UPDATE SET id = excluded.id;
-- name: UpAttached :exec
INSERT INTO ev_b (id, kind, n) VALUES (@id, @kind, @n) ON CONFLICT (kind, n) DO UPDATE SET id = excluded.id;
-- name: UpDetached :exec
INSERT INTO ev_c (id, kind, n) VALUES (@id, @kind, @n) ON CONFLICT (id, kind) DO UPDATE SET n = excluded.n;
