-- Insert a message; a retry with the same client_message_id returns no row
-- instead of a duplicate (the unique key makes retries idempotent).
-- name: InsertChatMessage :one
INSERT INTO chat_messages (
    account_id, chat_id, client_message_id, role, content, action, dax_attempts,
    final_dax, resolution_note, error, model_config_id
) VALUES (
    @account_id, @chat_id, @client_message_id, @role, @content, sqlc.narg('action'),
    sqlc.narg('dax_attempts'), sqlc.narg('final_dax'), sqlc.narg('resolution_note'),
    sqlc.narg('error'), sqlc.narg('model_config_id')
)
ON CONFLICT (account_id, chat_id, client_message_id) DO NOTHING
RETURNING *;

-- name: GetChatMessageByClientID :one
SELECT * FROM chat_messages
WHERE account_id = @account_id AND chat_id = @chat_id
  AND client_message_id = @client_message_id;

-- Messages of a chat in order; pass the last id seen (0 for the first page).
-- name: ListChatMessages :many
SELECT * FROM chat_messages
WHERE account_id = @account_id AND chat_id = @chat_id AND id > @after_id
ORDER BY id ASC
LIMIT @page_size;

-- name: CountChatMessages :one
SELECT count(*) AS messages FROM chat_messages
WHERE account_id = @account_id AND chat_id = @chat_id;

-- Bulk load through COPY (imports, backfills).
-- name: CopyChatMessages :copyfrom
INSERT INTO chat_messages (
    account_id, chat_id, client_message_id, role, content, action, dax_attempts,
    final_dax, resolution_note, error, model_config_id
) VALUES (
    @account_id, @chat_id, @client_message_id, @role, @content, @action, @dax_attempts,
    @final_dax, @resolution_note, @error, @model_config_id
);

-- name: InsertChatMessagesBatch :batchexec
INSERT INTO chat_messages (account_id, chat_id, client_message_id, role, content, model_config_id)
VALUES (@account_id, @chat_id, @client_message_id, @role, @content, sqlc.narg('model_config_id'));

-- An integrity check over every message (run off-peak): it reads the whole table.
-- name: CountOrphanedChatMessages :one
-- vet: ignore seq-scan
-- vet: ignore distribution
SELECT count(*) AS orphans
FROM chat_messages m
WHERE NOT EXISTS (
    SELECT 1 FROM chats c WHERE c.account_id = m.account_id AND c.id = m.chat_id
);

-- A deleted chat's messages go (its row stays behind as a tombstone). For a chat holding
-- a large share of the table a sequential scan is the cheaper plan, and the one chosen.
-- name: DeleteChatMessagesByChat :execrows
-- vet: ignore seq-scan
DELETE FROM chat_messages
WHERE account_id = @account_id AND chat_id = @chat_id;
