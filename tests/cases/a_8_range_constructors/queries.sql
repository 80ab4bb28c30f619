-- name: Windows :one
SELECT tstzrange(@from, @until) AS r, int4range(NULL, NULL) AS open;
