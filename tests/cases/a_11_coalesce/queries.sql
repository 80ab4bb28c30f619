-- name: Labels :many
SELECT coalesce(at, now()::timestamp) AS at FROM items;
