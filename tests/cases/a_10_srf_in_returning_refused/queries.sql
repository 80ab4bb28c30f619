-- name: Returned :many
UPDATE items SET label = label RETURNING unnest(tags) AS tag;
