-- name: AddLog :one
INSERT INTO logs (item_id, doc) VALUES (@item_id, @doc) RETURNING id;
