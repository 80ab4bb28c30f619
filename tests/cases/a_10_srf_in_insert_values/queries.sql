-- name: AddMany :many
INSERT INTO items (id, label) VALUES (unnest(@ids::int[]), @label) RETURNING id;
