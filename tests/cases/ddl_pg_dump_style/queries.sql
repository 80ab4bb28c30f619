-- name: Notes :many
SELECT id, note_len(body) AS len FROM notes;
