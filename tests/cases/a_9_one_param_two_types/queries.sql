-- name: TwoTypes :many
SELECT id FROM items WHERE id = @x AND label = @x;
