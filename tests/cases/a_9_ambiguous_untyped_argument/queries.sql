-- name: Year :one
SELECT to_char(@x, 'YYYY') AS y;
