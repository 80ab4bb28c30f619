-- name: Snapshot :many
SELECT id, label FROM app.snapshot;
