-- name: SetNote :execrows
UPDATE app.items SET note = @note WHERE id = @id;
