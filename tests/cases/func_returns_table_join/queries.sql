-- name: Priced :many
SELECT i.label, p.price FROM items i JOIN priced(@min) p ON p.id = i.id;
