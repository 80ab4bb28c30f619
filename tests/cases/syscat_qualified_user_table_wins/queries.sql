-- name: AppTables :many
SELECT name FROM app.tables;

-- name: InfoTables :many
SELECT table_name FROM information_schema.tables WHERE table_schema = 'app';
