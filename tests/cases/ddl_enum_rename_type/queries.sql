-- name: M :many
SELECT m FROM people;
