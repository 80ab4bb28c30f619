-- name: PartitionTree :many
SELECT * FROM pg_partition_tree('items');
-- name: PartitionLeaves :many
SELECT t.rel, t.level FROM pg_partition_tree('items') AS t(rel) WHERE t.isleaf;
-- name: PartitionNames :many
SELECT c.relname, p.level
FROM pg_partition_tree('items') p JOIN pg_class c ON c.oid = p.relid;
-- name: Keywords :many
SELECT * FROM pg_get_keywords() WHERE catcode = 'R';
-- name: Options :many
SELECT i.id, o.option_name, o.option_value FROM items i, pg_options_to_table(i.opts) o;
-- name: ControlVersion :one
SELECT (pg_control_system()).pg_control_version;
-- name: Labelled :many
SELECT * FROM labelled(@n);
-- name: LabelledRenamed :many
SELECT l.k, l.label FROM labelled(@n) AS l(k);
-- name: Pairs :many
SELECT * FROM pairs(@n::int) WITH ORDINALITY AS p(value, twice, i);
-- name: Stats :one
SELECT s.total, s.newest FROM stats() s;
