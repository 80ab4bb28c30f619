-- name: Ids :many
SELECT id FROM people;
-- name: Towns :many
SELECT id FROM towns;
