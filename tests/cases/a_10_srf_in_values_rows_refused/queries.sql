-- name: AddTwo :exec
INSERT INTO items (id, label) VALUES (unnest(@ids::int[]), 'a'), (0, 'b');
