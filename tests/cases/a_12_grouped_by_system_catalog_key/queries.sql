-- name: ConstraintsWithColumns :many
SELECT c.oid, c.conname, c.contype, count(a.attname) AS columns
FROM pg_constraint c
LEFT JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
GROUP BY c.oid;
-- name: AttributesWithDefaults :many
SELECT a.attrelid, a.attnum, a.attname, a.atttypid, count(d.oid) AS defaults
FROM pg_catalog.pg_attribute a
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
GROUP BY a.attrelid, a.attnum;
-- name: ClassesWithIndexes :many
SELECT cl.oid, cl.relname, cl.relkind, array_agg(i.indexrelid) AS indexes
FROM pg_class cl JOIN pg_index i ON i.indrelid = cl.oid
GROUP BY 1;
