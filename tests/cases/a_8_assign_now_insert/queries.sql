-- name: AddItem :exec
INSERT INTO items (id, label, at) VALUES (@id, @label, now());
