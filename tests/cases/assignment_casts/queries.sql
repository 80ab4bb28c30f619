-- name: Assigned1 :exec
INSERT INTO items (id, label, at) VALUES (@id, 'x', now());

-- name: Assigned2 :exec
INSERT INTO items (id, label, at) VALUES (@id, 'x', CURRENT_TIMESTAMP);

-- name: Assigned3 :exec
INSERT INTO items (id, label, at) VALUES (@id, 'x', CURRENT_TIMESTAMP(3));

-- name: Assigned4 :exec
UPDATE items SET at = now() WHERE id = @id;

-- name: Assigned5 :exec
UPDATE items SET at = CURRENT_TIMESTAMP, n = @f::float8 WHERE id = @id;

-- name: Assigned6 :exec
UPDATE items SET (at, label) = (now(), now()) WHERE id = @id;

-- name: Assigned7 :exec
INSERT INTO items (id, label) VALUES (@id::bigint, @flag::bool);

-- name: Assigned8 :exec
INSERT INTO logs (item_id, doc) VALUES (1, @doc::json) ON CONFLICT (item_id) DO UPDATE SET doc = '{}'::json;

-- name: Assigned9 :exec
INSERT INTO items (id, label, at) SELECT 1, 'x', now();
