-- name: Up :exec
INSERT INTO u (id, email) VALUES (@id, @email) ON CONFLICT (email) DO UPDATE SET deleted = false;
