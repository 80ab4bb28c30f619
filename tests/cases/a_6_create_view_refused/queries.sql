-- name: MakeView :exec
CREATE VIEW recent AS SELECT id FROM items;
