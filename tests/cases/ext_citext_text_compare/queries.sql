-- name: ByText :one
SELECT id FROM users WHERE email = @email::text;

-- name: Like :many
SELECT id FROM users WHERE email LIKE @pattern::citext;
