-- name: ItemsWithLog :many
SELECT sqlc.embed(i), sqlc.embed(l) FROM items i LEFT JOIN logs l ON l.item_id = i.id;

-- name: LogsWithItem :many
SELECT sqlc.embed(i), l.note FROM items i RIGHT JOIN logs l ON l.item_id = i.id WHERE l.id = @id;
