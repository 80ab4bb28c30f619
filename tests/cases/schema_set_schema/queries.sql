-- name: ArchivedLabel :one
SELECT label FROM archive.items WHERE id = @id;
