-- name: Priced :many
SELECT id, label FROM priced;
