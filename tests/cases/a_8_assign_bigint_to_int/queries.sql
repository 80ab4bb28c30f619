-- name: AddBig :exec
INSERT INTO items (id, label) VALUES (@id::bigint, @flag::bool);
