-- name: WhereFirst :execrows
UPDATE items SET label = @x WHERE id = @x;
