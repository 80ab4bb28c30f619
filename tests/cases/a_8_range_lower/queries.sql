-- name: Lower :many
SELECT lower(tsrange(at, NULL)) AS l FROM items;
