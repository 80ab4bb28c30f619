-- name: Posts :many
SELECT * FROM posts WHERE doc @@ websearch_to_tsquery('english', @q);
