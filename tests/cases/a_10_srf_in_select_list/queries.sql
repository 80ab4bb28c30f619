-- name: Tags :many
SELECT id, unnest(tags) AS tag FROM items ORDER BY id;
-- name: Series :many
SELECT generate_series(1, 3);
-- name: UserSet :many
SELECT upto(@n::int) AS i;
-- name: UserTable :many
SELECT table_args(@n);
-- name: UserRows :many
SELECT later_items(@n);
-- name: Lockstep :many
SELECT upto(2) + 1 AS x, generate_series(1, 3) AS y;
-- name: PerTag :many
SELECT unnest(tags) AS tag, count(*) AS n FROM items GROUP BY 1 ORDER BY unnest(tags);
-- name: Counted :many
SELECT generate_series(1, count(*)::int) AS n FROM items;
-- name: InSubquery :many
SELECT id FROM items WHERE id IN (SELECT upto(@n::int));
