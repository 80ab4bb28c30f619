-- name: L :many
SELECT l FROM t;
