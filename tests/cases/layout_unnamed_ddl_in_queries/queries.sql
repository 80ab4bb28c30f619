CREATE TEMP TABLE IF NOT EXISTS scratch (x int);

-- name: Names :many
SELECT name FROM authors;
