-- name: Reprice :one
UPDATE items SET price = @price WHERE id = @id RETURNING old.price, new.price;
