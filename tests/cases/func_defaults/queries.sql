-- name: PadOne :many
SELECT pad(label) AS p FROM items;

-- name: PadTwo :many
SELECT pad(label, @n) AS p FROM items;
