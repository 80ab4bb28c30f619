-- name: UnionTypes :many
SELECT id FROM items
UNION
SELECT doc FROM logs;
