-- name: Aliased :many
SELECT i.id, i.note FROM app.items AS i WHERE i.label = @label;

-- name: ThreePart :many
SELECT app.items.id FROM app.items WHERE app.items.note IS NULL;
