-- name: Mixed2 :execrows
UPDATE items SET label = @label, at = sqlc.narg(at) WHERE id = $1;
