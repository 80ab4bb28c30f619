-- name: Twice :many
SELECT public.twice(id) AS t FROM items;
