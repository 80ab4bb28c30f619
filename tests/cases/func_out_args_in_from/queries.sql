-- name: Stats :one
SELECT n, total FROM stats();
