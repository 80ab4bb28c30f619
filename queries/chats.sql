-- Create the chat row if it does not exist yet: the first message of a conversation
-- creates its chat before the message, and two first messages racing
-- for the same new chat both succeed without a duplicate.
-- name: EnsureChat :execrows
INSERT INTO chats (id, account_id, user_id, agent_id, title, model_config_id)
VALUES (@id, @account_id, @user_id, @agent_id, @title, sqlc.narg('model_config_id'))
ON CONFLICT DO NOTHING;

-- name: InsertChat :one
INSERT INTO chats (account_id, user_id, agent_id, title, model_config_id)
VALUES (@account_id, @user_id, @agent_id, @title, sqlc.narg('model_config_id'))
RETURNING *;

-- A chat by its key, (account_id, id): the account pins it to one shard on Citus.
-- name: GetChatByID :one
SELECT * FROM chats WHERE id = @id AND account_id = @account_id;

-- name: GetChatByIDForUpdate :one
SELECT * FROM chats WHERE id = @id AND account_id = @account_id FOR UPDATE;

-- A user's chats, newest activity first. Keyset pagination: pass the last row's
-- (last_active, id) to get the next page; NULLs for the first page (a cursor past every
-- row). One row comparison, not `cursor IS NULL OR ...`: that form is an index range
-- scan only with a custom plan; asyncpg's prepared statement turns generic after five
-- calls, and the generic plan read the user's whole index range (`codegen explain`).
-- Pinned by account_id (the distribution key: on Citus one shard answers).
-- name: ListChatsByUser :many
SELECT *
FROM chats
WHERE account_id = @account_id
  AND user_id = @user_id
  AND deleted_at IS NULL
  AND (last_active, id) < (
    COALESCE(sqlc.narg('after_last_active')::timestamptz, 'infinity'),
    COALESCE(sqlc.narg('after_id')::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff')
  )
ORDER BY last_active DESC, id DESC
LIMIT @page_size;

-- name: TouchChatAfterMessage :one
UPDATE chats
SET message_count = message_count + 1,
    last_active = NOW(),
    updated_at = NOW()
WHERE id = @id AND account_id = @account_id
RETURNING *;

-- Ownership is part of the statement: another user's or account's chat is not found.
-- Pinned by account_id (the distribution key).
-- name: SetChatModelConfig :one
UPDATE chats
SET model_config_id = sqlc.narg('model_config_id'), updated_at = NOW()
WHERE id = @id AND account_id = @account_id AND user_id = @user_id AND deleted_at IS NULL
RETURNING *;

-- Chats whose message_count disagrees with their messages (should be none). An integrity
-- check over every chat and message (run off-peak): it reads both tables whole.
-- name: ListChatsWithWrongMessageCount :many
-- vet: ignore seq-scan
-- vet: ignore distribution
SELECT c.id, c.message_count, count(m.id) AS actual
FROM chats c
LEFT JOIN chat_messages m ON m.account_id = c.account_id AND m.chat_id = c.id
GROUP BY c.account_id, c.id
HAVING c.message_count <> count(m.id);

-- Create a chat with a client-chosen id (NULL: the database picks one). A retry
-- inserts nothing; the caller reads the stored chat with GetChatForSenderForUpdate.
-- name: InsertChatWithID :one
INSERT INTO chats (id, account_id, user_id, agent_id, title, model_config_id)
VALUES (
    COALESCE(sqlc.narg('id')::uuid, gen_random_uuid()), @account_id, @user_id, @agent_id,
    @title, sqlc.narg('model_config_id')
)
ON CONFLICT DO NOTHING
RETURNING *;

-- A live chat of this user in this account (ownership is in the WHERE clause, never in
-- the caller). Pinned by account_id (the distribution key).
-- name: GetOwnedChat :one
SELECT * FROM chats
WHERE id = @id AND account_id = @account_id AND user_id = @user_id AND deleted_at IS NULL;

-- The chat a user writes to, locked; deleted chats too, so the caller can tell.
-- (Locked by id and account, then filtered: with all four columns in one WHERE a
-- generic plan walked the (account_id, agent_id) index of a busy agent, `codegen explain`.)
-- name: GetChatForSenderForUpdate :one
WITH found AS (
    SELECT * FROM chats WHERE id = @id AND account_id = @account_id FOR UPDATE
)
SELECT * FROM found WHERE user_id = @user_id AND agent_id = @agent_id;

-- The chat the assistant side writes to, locked: the agent's chat in the account.
-- name: GetChatForAgentForUpdate :one
WITH found AS (
    SELECT * FROM chats WHERE id = @id AND account_id = @account_id FOR UPDATE
)
SELECT * FROM found WHERE agent_id = @agent_id;

-- The chat a user sends to, locked, created first if this is its first message (a
-- message never exists without its chat), with the model config its next turn uses
-- (its own if still usable, else the usable default; NULL when neither is), in one
-- statement. `created`: this statement inserted the chat. Another user's, account's or
-- agent's chat: no row. No row either when another transaction created the chat after
-- this statement's snapshot was taken (two first messages racing): the caller then reads
-- it with GetChatForSenderForUpdate, a new statement that sees it.
-- name: UpsertChatForSender :one
-- On Citus: the usable configs are a MATERIALIZED CTE (read from the reference tables on the
-- coordinator) and the insert takes VALUES (routed to the account's shard, now() the
-- coordinator's): read in the final SELECT, the reference tables made Citus ship the
-- chat rows to every node and commit the send by two-phase commit on all of them.
WITH usable AS MATERIALIZED (
    SELECT cmc.id, cmc.is_default
    FROM chat_model_configs cmc
    JOIN chat_providers cp ON cp.provider = cmc.provider
    WHERE cmc.deleted = FALSE
      AND cmc.enabled = TRUE
      AND cp.enabled = TRUE
), found AS (
    -- Locked by id (and account, the distribution key): with user and agent here too, a
    -- generic plan walked the (account_id, agent_id) index of a busy agent instead.
    SELECT * FROM chats WHERE id = @id::uuid AND account_id = @account_id::uuid FOR UPDATE
), locked AS (
    SELECT * FROM found WHERE user_id = @user_id::uuid AND agent_id = @agent_id::uuid
), inserted AS (
    INSERT INTO chats (id, account_id, user_id, agent_id, title)
    VALUES (@id::uuid, @account_id::uuid, @user_id::uuid, @agent_id::uuid, @title::text)
    ON CONFLICT DO NOTHING
    RETURNING *
), chat AS (
    SELECT *, FALSE AS created FROM locked
    UNION ALL
    SELECT *, TRUE AS created FROM inserted
)
SELECT chat.*, (
    SELECT u.id
    FROM usable u
    WHERE u.id = chat.model_config_id OR u.is_default = TRUE
    ORDER BY u.id = chat.model_config_id DESC NULLS LAST
    LIMIT 1
) AS model_config_to_use
FROM chat;

-- A user's message, stored in one statement (one round trip, its own transaction): the
-- chat is locked, or created when this is its first message; the model config its turn
-- uses is resolved (the chat's own if still usable, else the usable default); the message
-- is inserted unless its client_message_id is stored already; the chat's counter counts
-- it. Every chat access is pinned by account_id (the distribution key).
-- The write happens only under the bounds the caller expects: `statement_timeout` and
-- `lock_timeout` as SHOW prints them (the service keeps them set on its connections).
-- Columns: the chat after the write (a Chat), the message stored now or the one stored
-- earlier under this client_message_id (a ChatMessage), `created` (this statement created
-- the chat), `repeated` (the message was stored earlier), and the config resolved (no
-- message and no config: none is usable). No row: the bounds were not in effect, the chat
-- is not the sender's, or a concurrent first message created it after this statement
-- began; the caller then runs the transactional path (UpsertChatForSender), which tells
-- them apart.
-- name: SendMessage :one
WITH bounds AS (
    SELECT current_setting('statement_timeout') = @statement_timeout::text
       AND current_setting('lock_timeout') = @lock_timeout::text AS held
), found AS (
    SELECT * FROM chats
    WHERE id = @chat_id::uuid AND account_id = @account_id::uuid AND (SELECT held FROM bounds)
    FOR UPDATE
), locked AS (
    SELECT * FROM found WHERE user_id = @user_id::uuid AND agent_id = @agent_id::uuid
), usable_default AS (
    SELECT cmc.id
    FROM chat_model_configs cmc
    JOIN chat_providers cp ON cp.provider = cmc.provider
    WHERE cmc.is_default = TRUE AND cmc.deleted = FALSE AND cmc.enabled = TRUE
      AND cp.enabled = TRUE
), created AS (
    -- A new chat is created with its first message counted: no message, no chat.
    INSERT INTO chats (id, account_id, user_id, agent_id, title, message_count)
    SELECT @chat_id::uuid, @account_id::uuid, @user_id::uuid, @agent_id::uuid,
        @title::text, 1
    WHERE (SELECT held FROM bounds)
      AND EXISTS (SELECT 1 FROM usable_default)
      AND NOT EXISTS (
          SELECT 1 FROM chats WHERE id = @chat_id::uuid AND account_id = @account_id::uuid
      )
    ON CONFLICT DO NOTHING
    RETURNING *
), target AS (
    SELECT * FROM locked
    UNION ALL
    SELECT * FROM created
), config AS (
    SELECT cmc.id
    FROM target
    JOIN chat_model_configs cmc ON cmc.id = target.model_config_id OR cmc.is_default = TRUE
    JOIN chat_providers cp ON cp.provider = cmc.provider
    WHERE cmc.deleted = FALSE AND cmc.enabled = TRUE AND cp.enabled = TRUE
    ORDER BY cmc.id = target.model_config_id DESC NULLS LAST
    LIMIT 1
), stored AS (
    SELECT m.*
    FROM chat_messages m
    WHERE m.account_id = @account_id::uuid AND m.chat_id = @chat_id::uuid
      AND m.client_message_id = @client_message_id::uuid
      AND EXISTS (SELECT 1 FROM locked)
), inserted AS (
    INSERT INTO chat_messages (
        account_id, chat_id, client_message_id, role, content, model_config_id
    )
    SELECT target.account_id, target.id, @client_message_id::uuid, @role::text,
        @content::text, config.id
    FROM target, config
    WHERE target.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM stored)
    ON CONFLICT (account_id, chat_id, client_message_id) DO NOTHING
    RETURNING *
), counted AS (
    UPDATE chats
    SET message_count = message_count + 1, last_active = NOW(), updated_at = NOW()
    WHERE id = @chat_id::uuid AND account_id = @account_id::uuid
      AND EXISTS (SELECT 1 FROM inserted) AND EXISTS (SELECT 1 FROM locked)
    RETURNING *
), chat AS (
    SELECT * FROM counted
    UNION ALL
    SELECT * FROM target WHERE NOT EXISTS (SELECT 1 FROM counted)
), message AS (
    SELECT * FROM inserted
    UNION ALL
    SELECT * FROM stored
)
SELECT sqlc.embed(chat), sqlc.embed(message),
    EXISTS (SELECT 1 FROM created) AS created,
    EXISTS (SELECT 1 FROM stored) AS repeated,
    (SELECT id FROM config) AS model_config_to_use
FROM chat
LEFT JOIN message ON TRUE;

-- The assistant side's SendMessage: an assistant or system turn in an existing chat of
-- this agent in this account, in one statement (one round trip, its own transaction):
-- the chat locked, the model config resolved, the message inserted unless its
-- client_message_id is stored already, the chat's counter bumped; every chat access
-- pinned by account_id. Columns as SendMessage's (`created` is always false). No row:
-- the bounds were not in effect or the chat is not the agent's (the caller's
-- transactional path tells which).
-- name: AddAssistantMessage :one
WITH bounds AS (
    SELECT current_setting('statement_timeout') = @statement_timeout::text
       AND current_setting('lock_timeout') = @lock_timeout::text AS held
), found AS (
    SELECT * FROM chats
    WHERE id = @chat_id::uuid AND account_id = @account_id::uuid AND (SELECT held FROM bounds)
    FOR UPDATE
), target AS (
    SELECT * FROM found WHERE agent_id = @agent_id::uuid
), config AS (
    SELECT cmc.id
    FROM target
    JOIN chat_model_configs cmc ON cmc.id = target.model_config_id OR cmc.is_default = TRUE
    JOIN chat_providers cp ON cp.provider = cmc.provider
    WHERE cmc.deleted = FALSE AND cmc.enabled = TRUE AND cp.enabled = TRUE
    ORDER BY cmc.id = target.model_config_id DESC NULLS LAST
    LIMIT 1
), stored AS (
    SELECT m.*
    FROM chat_messages m
    WHERE m.account_id = @account_id::uuid AND m.chat_id = @chat_id::uuid
      AND m.client_message_id = @client_message_id::uuid
      AND EXISTS (SELECT 1 FROM target)
), inserted AS (
    INSERT INTO chat_messages (
        account_id, chat_id, client_message_id, role, content, action, dax_attempts,
        final_dax, resolution_note, error, model_config_id
    )
    SELECT target.account_id, target.id, @client_message_id::uuid, @role::text,
        @content::text, sqlc.narg('action')::text, sqlc.narg('dax_attempts')::jsonb,
        sqlc.narg('final_dax')::text, sqlc.narg('resolution_note')::text,
        sqlc.narg('error')::text, config.id
    FROM target, config
    WHERE target.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM stored)
    ON CONFLICT (account_id, chat_id, client_message_id) DO NOTHING
    RETURNING *
), counted AS (
    UPDATE chats
    SET message_count = message_count + 1, last_active = NOW(), updated_at = NOW()
    WHERE id = @chat_id::uuid AND account_id = @account_id::uuid
      AND EXISTS (SELECT 1 FROM inserted)
    RETURNING *
), chat AS (
    SELECT * FROM counted
    UNION ALL
    SELECT * FROM target WHERE NOT EXISTS (SELECT 1 FROM counted)
), message AS (
    SELECT * FROM inserted
    UNION ALL
    SELECT * FROM stored
)
SELECT sqlc.embed(chat), sqlc.embed(message),
    FALSE AS created,
    EXISTS (SELECT 1 FROM stored) AS repeated,
    (SELECT id FROM config) AS model_config_to_use
FROM chat
LEFT JOIN message ON TRUE;

-- Delete the user's chat, locked first: its row stays as a tombstone (title erased,
-- deleted_at set) so the id can never be used again. `already_deleted`: it was deleted
-- before (a repeat). No row: not the user's chat. The caller deletes its messages next,
-- in the same transaction: a later statement, whose snapshot, taken after this lock,
-- sees every message a send committed before it. Pinned by account_id (the distribution
-- key: on Citus a lock must name it).
-- name: DeleteOwnedChat :one
WITH state AS (
    SELECT id, deleted_at FROM chats
    WHERE id = @id::uuid AND account_id = @account_id::uuid AND user_id = @user_id::uuid
    FOR UPDATE
), deleted AS (
    UPDATE chats
    SET deleted_at = NOW(), title = '', message_count = 0, model_config_id = NULL,
        updated_at = NOW()
    WHERE id = @id::uuid AND account_id = @account_id::uuid AND user_id = @user_id::uuid
      AND EXISTS (SELECT 1 FROM state WHERE deleted_at IS NULL)
    RETURNING id
)
SELECT state.id, state.deleted_at IS NOT NULL AS already_deleted FROM state;
