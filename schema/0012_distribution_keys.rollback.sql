-- Reverses 0012_distribution_keys: the message key and foreign key on chat_id alone again,
-- 0011's (account_id, chat_id, client_message_id) back as a plain unique index, the
-- column nullable. Indexes are built CONCURRENTLY first, then swapped in one short
-- transaction that locks chats before chat_messages. Every statement can run again over
-- what an interrupted run of this file or of the forward file left behind.

CREATE INDEX CONCURRENTLY IF NOT EXISTS chat_messages_chat_id_id_idx ON chat_messages (chat_id, id);

CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS chat_messages_chat_id_client_message_id_key
    ON chat_messages (chat_id, client_message_id);

DO $$
BEGIN
    LOCK TABLE chats IN SHARE ROW EXCLUSIVE MODE;
    LOCK TABLE chat_messages IN ACCESS EXCLUSIVE MODE;
    ALTER TABLE chat_messages
        DROP CONSTRAINT IF EXISTS chat_messages_account_id_chat_id_fkey,
        DROP CONSTRAINT IF EXISTS chat_messages_account_id_chat_id_client_message_id_key;
    IF NOT EXISTS (
        SELECT FROM pg_constraint
        WHERE conrelid = 'chat_messages'::regclass
            AND conname = 'chat_messages_chat_id_client_message_id_key'
    ) THEN
        ALTER TABLE chat_messages
            ADD CONSTRAINT chat_messages_chat_id_client_message_id_key
            UNIQUE USING INDEX chat_messages_chat_id_client_message_id_key;
    END IF;
    IF NOT EXISTS (
        SELECT FROM pg_constraint
        WHERE conrelid = 'chat_messages'::regclass AND conname = 'chat_messages_chat_id_fkey'
    ) THEN
        ALTER TABLE chat_messages
            ADD CONSTRAINT chat_messages_chat_id_fkey
            FOREIGN KEY (chat_id) REFERENCES chats (id) ON DELETE CASCADE NOT VALID;
    END IF;
END
$$;

DO $$ BEGIN ALTER TABLE chat_messages VALIDATE CONSTRAINT chat_messages_chat_id_fkey; END $$;

CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS chat_messages_account_id_chat_id_client_message_id_key
    ON chat_messages (account_id, chat_id, client_message_id);

ALTER TABLE chat_messages ALTER COLUMN account_id DROP NOT NULL;

-- left by an interrupted apply
ALTER TABLE chat_messages DROP CONSTRAINT IF EXISTS chat_messages_account_id_not_null;
