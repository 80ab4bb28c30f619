-- name: Fine :many
SELECT id, m FROM people WHERE m = 'fine';
