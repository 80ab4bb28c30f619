-- name: Up :exec
INSERT INTO u (id, email) VALUES (@id, @email) ON CONFLICT (email) DO UPDATE SET m = 1;
-- name: Up2 :exec
INSERT INTO u (id, email) VALUES (@id, @email) ON CONFLICT (m) DO UPDATE SET email = excluded.email;
