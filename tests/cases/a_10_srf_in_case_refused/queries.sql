-- name: Cased :many
SELECT CASE WHEN id > 1 THEN unnest(tags) END AS tag FROM items;
