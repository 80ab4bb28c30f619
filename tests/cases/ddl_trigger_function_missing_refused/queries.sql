-- name: Users :many
SELECT * FROM users;
