-- name: Slug :one
SELECT slugify(@title) AS slug;
