-- name: TouchItem :execrows
UPDATE items SET at = CURRENT_TIMESTAMP(3), n = @f::float8 WHERE id = @id;
