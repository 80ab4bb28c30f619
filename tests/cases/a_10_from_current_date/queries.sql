-- name: Today :one
SELECT d FROM CURRENT_DATE AS d;
