-- name: Total :one
SELECT total FROM rpt.total;
