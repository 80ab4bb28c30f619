-- name: CheckPassword :one
SELECT id FROM users WHERE id = @id AND pw = crypt(@password, pw);

-- name: HashPassword :one
SELECT crypt(@password, gen_salt('bf')) AS hash;

-- name: Digest :one
SELECT digest(@data::bytea, 'sha256') AS d;
