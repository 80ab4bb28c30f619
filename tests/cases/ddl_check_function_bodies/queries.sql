-- name: Active :one
SELECT active_count() AS n;
