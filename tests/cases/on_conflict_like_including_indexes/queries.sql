-- name: Up :exec
INSERT INTO copy (id, code, n) VALUES (@id, @code, @n) ON CONFLICT (code) DO UPDATE SET n = excluded.n;
