-- name: Conflict :exec
INSERT INTO items (id, label) VALUES (@id, @label) ON CONFLICT (label) DO UPDATE SET label = excluded.label;
