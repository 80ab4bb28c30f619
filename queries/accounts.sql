-- name: InsertAccount :one
INSERT INTO accounts (name) VALUES (@name) RETURNING *;

-- name: GetAccountByID :one
SELECT * FROM accounts WHERE id = @id;

-- name: InsertUser :one
INSERT INTO users (account_id, email, display_name)
VALUES (@account_id, @email, sqlc.narg('display_name'))
RETURNING *;

-- name: InsertAgent :one
INSERT INTO agents (account_id, name) VALUES (@account_id, @name) RETURNING *;

-- Client-chosen ids make creates safe to retry after an unknown outcome: a retry
-- inserts nothing and the caller reads the row back by id.
-- name: InsertAccountWithID :one
INSERT INTO accounts (id, name) VALUES (@id, @name)
ON CONFLICT DO NOTHING
RETURNING *;

-- name: InsertUserWithID :one
INSERT INTO users (id, account_id, email, display_name)
VALUES (@id, @account_id, @email, sqlc.narg('display_name'))
ON CONFLICT DO NOTHING
RETURNING *;

-- name: InsertAgentWithID :one
INSERT INTO agents (id, account_id, name) VALUES (@id, @account_id, @name)
ON CONFLICT DO NOTHING
RETURNING *;

-- A create's repeat reads back its own row: by id within the caller's account, so a
-- row of another account is never returned (nor compared in Python).
-- name: GetAccountUserByID :one
SELECT * FROM users WHERE id = @id AND account_id = @account_id;

-- name: GetAccountAgentByID :one
SELECT * FROM agents WHERE id = @id AND account_id = @account_id;
