-- name: Series :many
SELECT g FROM generate_series(1, @n::int) AS g;
