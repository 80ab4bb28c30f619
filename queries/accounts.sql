-- name: InsertAccount :one
INSERT INTO accounts (name) VALUES (@name) RETURNING *;

-- name: GetAccountByID :one
SELECT * FROM accounts WHERE id = @id;

-- name: InsertUser :one
INSERT INTO users (account_id, email, display_name)
VALUES (@account_id, @email, sqlc.narg('display_name'))
RETURNING *;

-- name: GetUserByID :one
SELECT * FROM users WHERE id = @id;

-- name: InsertAgent :one
INSERT INTO agents (account_id, name) VALUES (@account_id, @name) RETURNING *;

-- name: GetAgentByID :one
SELECT * FROM agents WHERE id = @id;
