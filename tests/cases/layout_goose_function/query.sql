-- name: Count :one
SELECT n FROM counters WHERE id = $1;
