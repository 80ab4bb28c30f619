-- name: AddStock :exec
INSERT INTO stock (id, qty) VALUES (@id, @qty);
