-- name: Children :many
SELECT id, parent_id FROM app.children;
