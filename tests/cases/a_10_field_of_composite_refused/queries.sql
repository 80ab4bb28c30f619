-- name: Cities :many
SELECT id, (home).city FROM people;
