-- name: Year2 :one
SELECT to_char(@x::timestamptz, 'YYYY') AS y;
