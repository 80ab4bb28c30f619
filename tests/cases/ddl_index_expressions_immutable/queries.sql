-- name: Upsert :exec
INSERT INTO accounts (id, email, status) VALUES (@id, @email, 'active')
ON CONFLICT (lower(email)) WHERE deleted_at IS NULL DO UPDATE SET status = 'active';
