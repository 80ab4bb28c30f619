-- name: Hash :one
SELECT crypt(@password::text, gen_salt('bf')) AS hash;
