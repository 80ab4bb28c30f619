-- name: SetNote :execrows
UPDATE logs SET note = sqlc.narg(note) WHERE id = @id;
