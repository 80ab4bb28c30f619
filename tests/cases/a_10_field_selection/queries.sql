-- name: A :one
SELECT (one_item(@n)).id;
-- name: B :many
SELECT (set_items(@n)).label;
-- name: C :many
SELECT (top_items(@n)).id;
-- name: D :many
SELECT (i).label, (i).price FROM items i;
-- name: E :many
SELECT (set_items(@n)).tags[1] AS t;
