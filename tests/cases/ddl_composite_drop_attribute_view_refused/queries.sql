-- name: Ids :many
SELECT id FROM people;
