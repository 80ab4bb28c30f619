-- name: Homes :many
SELECT id, (home).* FROM people;
-- name: Towns :many
SELECT id, (home).town, (home).country FROM people;
-- name: ViewFollows :many
SELECT id, city FROM towns;
-- name: Corners :many
SELECT (corner).z, (s.corner).* FROM shapes s;
