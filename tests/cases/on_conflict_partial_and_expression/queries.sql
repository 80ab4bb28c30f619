-- name: Up :exec
INSERT INTO u (id, email) VALUES (@id, @email) ON CONFLICT (email) WHERE NOT deleted DO UPDATE SET deleted = false;
-- name: Up2 :exec
INSERT INTO u (id, email) VALUES (@id, @email) ON CONFLICT (lower(email)) DO UPDATE SET deleted = false;
-- name: Up3 :exec
INSERT INTO u (id, email) VALUES (@id, @email) ON CONFLICT (email) DO NOTHING;
