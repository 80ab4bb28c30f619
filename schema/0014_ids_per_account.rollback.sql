-- Reverses 0014_ids_per_account on a single PostgreSQL: ids unique on their own again
-- (this fails, and the rollback with it, if two accounts came to share an id), the keys
-- as 0013 left them there. On a Citus coordinator it does nothing (0013's rollback swaps
-- the keys back with the distribution). One transaction.

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') OR EXISTS (
        SELECT FROM pg_constraint WHERE conrelid = 'users'::regclass AND conname = 'users_pkey'
    ) THEN
        RETURN;
    END IF;
    LOCK TABLE chats IN ACCESS EXCLUSIVE MODE;
    LOCK TABLE chat_messages IN ACCESS EXCLUSIVE MODE;
    LOCK TABLE chat_message_embeddings IN ACCESS EXCLUSIVE MODE;
    ALTER TABLE chat_message_embeddings DROP CONSTRAINT chat_message_embeddings_message_id_fkey;
    ALTER TABLE chat_messages DROP CONSTRAINT chat_messages_account_id_chat_id_fkey;
    ALTER TABLE chat_messages DROP CONSTRAINT chat_messages_pkey;
    ALTER TABLE chat_messages ADD CONSTRAINT chat_messages_pkey PRIMARY KEY (id);
    CREATE UNIQUE INDEX chat_messages_account_id_id_key ON chat_messages (account_id, id);
    ALTER TABLE chats DROP CONSTRAINT chats_pkey;
    CREATE UNIQUE INDEX chats_account_id_id_key ON chats (account_id, id);
    ALTER TABLE chats ADD CONSTRAINT chats_pkey PRIMARY KEY (id);
    ALTER TABLE chat_messages
        ADD CONSTRAINT chat_messages_account_id_chat_id_fkey
        FOREIGN KEY (account_id, chat_id) REFERENCES chats (account_id, id) ON DELETE CASCADE;
    ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY (id);
    ALTER TABLE users REPLICA IDENTITY DEFAULT;
    ALTER TABLE agents ADD CONSTRAINT agents_pkey PRIMARY KEY (id);
    ALTER TABLE agents REPLICA IDENTITY DEFAULT;
    ALTER TABLE chat_model_configs
        ADD CONSTRAINT chat_model_configs_created_by_fkey FOREIGN KEY (created_by)
        REFERENCES users (id) ON DELETE SET NULL,
        ADD CONSTRAINT chat_model_configs_updated_by_fkey FOREIGN KEY (updated_by)
        REFERENCES users (id) ON DELETE SET NULL;
    ALTER TABLE chat_message_embeddings
        ADD CONSTRAINT chat_message_embeddings_message_id_fkey FOREIGN KEY (message_id)
        REFERENCES chat_messages (id) ON DELETE CASCADE;
END
$$;
