-- name: Ambiguous :many
SELECT i.label
FROM items i JOIN logs l ON l.item_id = i.id
WHERE id = @id;
