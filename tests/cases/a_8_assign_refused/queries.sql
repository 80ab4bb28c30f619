-- name: BadAssign :exec
UPDATE items SET at = 1 WHERE id = @id;
