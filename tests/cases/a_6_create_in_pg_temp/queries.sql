-- name: MakeScratch :exec
CREATE TABLE pg_temp.scratch (a int, b text);

-- name: PickInto :execrows
CREATE TABLE pg_temp.picked AS SELECT id, label FROM items WHERE label = @label;

-- name: RecentView :exec
CREATE TEMP VIEW recent AS SELECT id, label FROM items WHERE id > 10;

-- name: RecentViewInPgTemp :exec
CREATE VIEW pg_temp.recent2 AS SELECT id FROM items;

-- name: Counter :exec
CREATE TEMPORARY SEQUENCE counter START 5;

-- name: CounterInPgTemp :exec
CREATE SEQUENCE pg_temp.counter2;
