-- name: BadTemp :exec
CREATE TEMP TABLE s (a int DEFAULT @a);
