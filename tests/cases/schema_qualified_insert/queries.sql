-- name: AddItem :one
INSERT INTO app.items (id, label) VALUES (@id, @label) RETURNING id, note;
