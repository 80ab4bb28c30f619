-- name: Labels :many
SELECT id, label FROM items;

-- name: OnTop :many
SELECT * FROM on_top;
