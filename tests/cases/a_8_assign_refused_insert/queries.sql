-- name: BadAssignInsert :exec
INSERT INTO items (id, label, at) VALUES (@id, @label, 1);
