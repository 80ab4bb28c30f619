-- name: Long :exec
INSERT INTO items (id, label) VALUES (@id, @label, now());
