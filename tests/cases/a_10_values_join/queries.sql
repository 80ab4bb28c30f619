-- name: Labelled :many
SELECT i.id, v.rank FROM items i JOIN (VALUES (1, 10), (2, 20)) AS v(id, rank) ON v.id = i.id;
