-- name: AddNote :one
INSERT INTO notes (body) VALUES (@body) RETURNING id, updated_at;

-- name: Notes :many
SELECT id, body FROM notes ORDER BY id;
