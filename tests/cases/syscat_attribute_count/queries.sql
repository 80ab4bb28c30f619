-- name: ColumnCount :one
SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
WHERE c.relname = @name::text AND a.attnum > 0 AND NOT a.attisdropped;
