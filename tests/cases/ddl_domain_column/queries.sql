-- name: Mail :one
SELECT mail, backup FROM users WHERE id = @id;

-- name: ByMail :one
SELECT id FROM users WHERE mail = @mail;
