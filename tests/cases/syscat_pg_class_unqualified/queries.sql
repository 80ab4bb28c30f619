-- name: Relations :many
SELECT relname, relkind, reltuples FROM pg_class WHERE relnamespace = @ns;
