-- name: Cheap :many
SELECT id, label FROM cheap_items();
