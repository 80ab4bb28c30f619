/* name: GetItem :one */
SELECT id, label FROM items WHERE id = @id;

/* name: DeleteItem :exec */
DELETE FROM items WHERE id = @id;

-- name: ListItems :many
SELECT label, score FROM items ORDER BY id;
