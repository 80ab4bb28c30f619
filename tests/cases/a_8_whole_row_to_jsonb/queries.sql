-- name: ItemDoc :many
SELECT to_jsonb(i.*) AS doc FROM items i;
