-- name: Day :one
SELECT date_trunc('day', @t) AS d;
