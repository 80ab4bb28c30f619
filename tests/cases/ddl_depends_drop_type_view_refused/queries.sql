-- name: Moods :many
SELECT m FROM moods;
