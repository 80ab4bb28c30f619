-- name: Notify :exec
SELECT pg_notify(@channel, @payload);
