-- name: ConflictIdx :exec
INSERT INTO items (id, label) VALUES (@id, @label) ON CONFLICT (label) DO UPDATE SET at = now();
