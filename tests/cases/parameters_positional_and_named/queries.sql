-- name: Mixed1 :exec
SELECT id FROM items WHERE id = $1 AND label = @label;

-- name: Mixed2 :exec
SELECT id FROM items WHERE label = @label AND id = $2 AND n = $1;

-- name: Mixed3 :exec
UPDATE items SET label = @label, at = sqlc.narg(at) WHERE id = $1;
