-- Messages keyed by their account too. chat_messages.account_id becomes NOT NULL, retried
-- sends are idempotent on (account_id, chat_id, client_message_id), and a message's chat
-- is the foreign key (account_id, chat_id) -> chats (account_id, id): strictly stronger
-- than chat_id alone (a message cannot carry another account than its chat's), and the
-- form Citus requires between distributed tables (docs/scaling.md). On a single
-- PostgreSQL every id stays unique on its own (the primary keys are unchanged here; 0013
-- swaps them on Citus only).
--
-- 1. NOT NULL without a long exclusive lock: a CHECK added NOT VALID, validated (it
--    blocks no writer), then SET NOT NULL uses it instead of scanning, and the CHECK goes.
-- 2. In one short transaction, chats locked before chat_messages (the service's order),
--    the unique key and the foreign key are swapped; the new key is added NOT VALID and
--    validated afterwards.
-- 3. The paging index (chat_id, id) of 0008 goes: 0011's (account_id, chat_id, id)
--    serves ListChatMessages, which filters on the account.
--
-- Every statement can run again over what an interrupted run left (catalog checks, IF
-- [NOT] EXISTS).
-- transactional: false
-- depends: 0011_chat_messages_account_id

DO $$
BEGIN
    IF NOT EXISTS (
        SELECT FROM pg_constraint
        WHERE conrelid = 'chat_messages'::regclass
            AND conname = 'chat_messages_account_id_not_null'
    ) AND EXISTS (
        SELECT FROM pg_attribute
        WHERE attrelid = 'chat_messages'::regclass AND attname = 'account_id' AND NOT attnotnull
    ) THEN
        ALTER TABLE chat_messages
            ADD CONSTRAINT chat_messages_account_id_not_null CHECK (account_id IS NOT NULL)
            NOT VALID;
    END IF;
END
$$;

SET statement_timeout = 0;

DO $$
BEGIN
    IF EXISTS (
        SELECT FROM pg_constraint
        WHERE conrelid = 'chat_messages'::regclass
            AND conname = 'chat_messages_account_id_not_null'
    ) THEN
        -- rows written between 0011's backfill and the service writing account_id
        UPDATE chat_messages m SET account_id = c.account_id
        FROM chats c WHERE c.id = m.chat_id AND m.account_id IS NULL;
        ALTER TABLE chat_messages VALIDATE CONSTRAINT chat_messages_account_id_not_null;
    END IF;
END
$$;

DO $$
BEGIN
    ALTER TABLE chat_messages ALTER COLUMN account_id SET NOT NULL;
    ALTER TABLE chat_messages DROP CONSTRAINT IF EXISTS chat_messages_account_id_not_null;
END
$$;

-- 0011 built it; an interrupted rollback of this file may have dropped it
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS chat_messages_account_id_chat_id_client_message_id_key
    ON chat_messages (account_id, chat_id, client_message_id);

DO $$
BEGIN
    LOCK TABLE chats IN SHARE ROW EXCLUSIVE MODE;
    LOCK TABLE chat_messages IN ACCESS EXCLUSIVE MODE;
    ALTER TABLE chat_messages
        DROP CONSTRAINT IF EXISTS chat_messages_chat_id_fkey,
        DROP CONSTRAINT IF EXISTS chat_messages_chat_id_client_message_id_key;
    IF NOT EXISTS (
        SELECT FROM pg_constraint
        WHERE conrelid = 'chat_messages'::regclass
            AND conname = 'chat_messages_account_id_chat_id_client_message_id_key'
    ) THEN
        ALTER TABLE chat_messages
            ADD CONSTRAINT chat_messages_account_id_chat_id_client_message_id_key
            UNIQUE USING INDEX chat_messages_account_id_chat_id_client_message_id_key;
    END IF;
    IF NOT EXISTS (
        SELECT FROM pg_constraint
        WHERE conrelid = 'chat_messages'::regclass
            AND conname = 'chat_messages_account_id_chat_id_fkey'
    ) THEN
        ALTER TABLE chat_messages
            ADD CONSTRAINT chat_messages_account_id_chat_id_fkey
            FOREIGN KEY (account_id, chat_id) REFERENCES chats (account_id, id)
            ON DELETE CASCADE NOT VALID;
    END IF;
END
$$;

DO $$ BEGIN ALTER TABLE chat_messages VALIDATE CONSTRAINT chat_messages_account_id_chat_id_fkey; END $$;

DROP INDEX CONCURRENTLY IF EXISTS chat_messages_chat_id_id_idx;
