-- name: Noop :exec
SELECT noop();
