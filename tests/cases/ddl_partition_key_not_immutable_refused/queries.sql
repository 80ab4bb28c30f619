-- name: Measurements :many
SELECT sensor_id, value FROM measurements;
