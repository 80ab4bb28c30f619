-- name: Pair :one
SELECT make_pair(@x) AS p;
