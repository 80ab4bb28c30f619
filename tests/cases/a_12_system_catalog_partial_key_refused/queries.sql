-- name: Partial :many
SELECT a.attrelid, a.attname, count(*) AS n
FROM pg_attribute a
GROUP BY a.attrelid;
