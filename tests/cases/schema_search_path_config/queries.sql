-- name: Label :one
SELECT label FROM items WHERE id = @id;

-- name: QualifiedLabel :one
SELECT label FROM app.items WHERE id = @id;

-- name: Tag :one
SELECT tag FROM tags WHERE id = @id;
