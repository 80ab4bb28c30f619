-- name: TableExists :one
SELECT 1 AS one FROM pg_catalog.pg_class WHERE relname = @name::text;
