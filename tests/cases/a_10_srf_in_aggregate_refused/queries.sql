-- name: Aggregated :many
SELECT array_agg(unnest(tags)) AS tags FROM items;
