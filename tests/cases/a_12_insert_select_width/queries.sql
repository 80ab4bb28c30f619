-- name: ShortSelect :exec
INSERT INTO items (id, label, at) SELECT id, label FROM items;
