-- name: ByEmail :one
SELECT id, email FROM users WHERE email = @email;

-- name: Lower :many
SELECT lower(email) AS l FROM users;

-- name: LikePattern :many
SELECT id FROM users WHERE email LIKE @pattern AND email NOT ILIKE @not_pattern;

-- name: LikeText :many
SELECT id FROM users WHERE email::text LIKE @text_pattern ESCAPE '!';

-- name: LikeUntyped :one
SELECT @a LIKE @b AS matches;
