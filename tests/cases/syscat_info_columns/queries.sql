-- name: Columns :many
SELECT column_name, data_type, is_nullable, ordinal_position
FROM information_schema.columns
WHERE table_schema = 'public' AND table_name = @table_name
ORDER BY ordinal_position;
