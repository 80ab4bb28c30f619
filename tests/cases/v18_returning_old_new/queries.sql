-- name: Reprice :one
UPDATE items SET price = @price WHERE id = @id
RETURNING old.price AS old_price, new.price AS new_price;

-- name: Remove :one
DELETE FROM items WHERE id = @id
RETURNING WITH (OLD AS before, NEW AS after) before.name, after.name AS gone;

-- name: Add :one
INSERT INTO items (id, name) VALUES (@id, @name)
ON CONFLICT (id) DO UPDATE SET name = excluded.name
RETURNING old.name AS previous, new.*;
