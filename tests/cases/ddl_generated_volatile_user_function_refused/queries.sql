-- name: Posts :many
SELECT * FROM posts;
