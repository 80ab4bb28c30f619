-- Create the chat row if it does not exist yet: the first message of a conversation
-- creates its chat before the message (seed 001), and two first messages racing
-- for the same new chat both succeed without a duplicate.
-- name: EnsureChat :execrows
INSERT INTO chats (id, account_id, user_id, agent_id, title, model_config_id)
VALUES (@id, @account_id, @user_id, @agent_id, @title, sqlc.narg('model_config_id'))
ON CONFLICT (id) DO NOTHING;

-- name: InsertChat :one
INSERT INTO chats (account_id, user_id, agent_id, title, model_config_id)
VALUES (@account_id, @user_id, @agent_id, @title, sqlc.narg('model_config_id'))
RETURNING *;

-- name: GetChatByID :one
SELECT * FROM chats WHERE id = @id;

-- name: GetChatByIDForUpdate :one
SELECT * FROM chats WHERE id = @id FOR UPDATE;

-- A user's chats, newest activity first. Keyset pagination: pass the last row's
-- (last_active, id) to get the next page; NULLs for the first page.
-- name: ListChatsByUser :many
SELECT *
FROM chats
WHERE user_id = @user_id
  AND (
    sqlc.narg('after_last_active')::timestamptz IS NULL
    OR (last_active, id) < (sqlc.narg('after_last_active'), sqlc.narg('after_id')::uuid)
  )
ORDER BY last_active DESC, id DESC
LIMIT @page_size;

-- name: TouchChatAfterMessage :one
UPDATE chats
SET message_count = message_count + 1,
    last_active = NOW(),
    updated_at = NOW()
WHERE id = @id
RETURNING *;

-- name: SetChatModelConfig :execrows
UPDATE chats
SET model_config_id = sqlc.narg('model_config_id'), updated_at = NOW()
WHERE id = @id;

-- name: DeleteChat :execrows
DELETE FROM chats WHERE id = @id AND user_id = @user_id;

-- Chats whose message_count disagrees with their messages (should be none).
-- name: ListChatsWithWrongMessageCount :many
SELECT c.id, c.message_count, count(m.id) AS actual
FROM chats c
LEFT JOIN chat_messages m ON m.chat_id = c.id
GROUP BY c.id
HAVING c.message_count <> count(m.id);
