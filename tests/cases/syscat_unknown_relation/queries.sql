-- name: Nope :many
SELECT * FROM information_schema.nope;
