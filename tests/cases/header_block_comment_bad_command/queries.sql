-- name: Fine :one
SELECT 1;

/* name: CountItems :single */
SELECT count(*) FROM items;
