-- name: ByEmail :one
SELECT id, email FROM users WHERE email = @email;

-- name: Lower :many
SELECT lower(email) AS l FROM users;
