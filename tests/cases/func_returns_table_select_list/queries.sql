-- name: Count :one
SELECT count(*) FROM items WHERE id IN (SELECT (top_items(@n)).id);
