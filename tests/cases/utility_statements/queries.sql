-- name: Utility1 :exec
TRUNCATE items;

-- name: Utility2 :exec
TRUNCATE TABLE items, logs RESTART IDENTITY CASCADE;

-- name: Utility3 :exec
VACUUM items;

-- name: Utility4 :exec
VACUUM (ANALYZE) items;

-- name: Utility5 :exec
ANALYZE items;

-- name: Utility6 :exec
ANALYZE;

-- name: Utility7 :exec
NOTIFY jobs;

-- name: Utility8 :exec
NOTIFY jobs, 'payload';

-- name: Utility9 :exec
LISTEN jobs;

-- name: Utility10 :exec
UNLISTEN jobs;

-- name: Utility11 :exec
UNLISTEN *;

-- name: Utility12 :exec
DO $$BEGIN PERFORM 1; END$$;

-- name: Utility13 :exec
REFRESH MATERIALIZED VIEW item_labels;

-- name: Utility14 :exec
REFRESH MATERIALIZED VIEW CONCURRENTLY item_labels;

-- name: Utility15 :exec
LOCK TABLE items IN SHARE ROW EXCLUSIVE MODE;

-- name: Utility16 :exec
LOCK items;

-- name: Utility17 :exec
SET search_path = public;

-- name: Utility18 :exec
SET LOCAL statement_timeout = '5s';

-- name: Utility19 :exec
RESET search_path;

-- name: Utility20 :exec
RESET ALL;

-- name: Utility21 :exec
CREATE TEMP TABLE scratch (a int, b text);

-- name: Utility22 :exec
CREATE TEMPORARY TABLE scratch2 AS SELECT id FROM items WHERE label = @label;

-- name: PgNotify :exec
SELECT pg_notify(@channel, @payload);
