-- name: Ids :many
SELECT id FROM t;
