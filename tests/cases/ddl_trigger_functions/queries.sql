-- name: Docs :many
SELECT id, body, updated_at FROM docs;
