-- name: Shout :many
SELECT id, shout FROM app.labelled;
