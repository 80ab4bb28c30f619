-- name: Attr :one
SELECT attrs -> @key AS v FROM docs WHERE id = @id;

-- name: HasKey :many
SELECT id FROM docs WHERE attrs ? @key;

-- name: Attrs :one
SELECT attrs FROM docs WHERE id = @id;
