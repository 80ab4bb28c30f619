-- name: Labels :many
SELECT id, label FROM items;

-- name: Shouts :many
SELECT shout FROM fine WHERE id = @id;
