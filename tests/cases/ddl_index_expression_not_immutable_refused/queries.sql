-- name: Events :many
SELECT id, kind FROM events;
