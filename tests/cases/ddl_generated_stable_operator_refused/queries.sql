-- name: Sessions :many
SELECT * FROM sessions;
