-- name: AddItemTs :exec
INSERT INTO items (id, label, at) VALUES (@id, @label, CURRENT_TIMESTAMP);
