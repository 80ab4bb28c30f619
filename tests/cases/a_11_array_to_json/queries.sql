-- name: Tags :many
SELECT array_to_json(tags) AS t, to_jsonb(at) AS a FROM items;
