-- name: Cheap :many
SELECT id FROM items WHERE is_cheap(price);
