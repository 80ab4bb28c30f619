-- Reverses 0013_distribute_by_account: on Citus, every table back to a plain table on the
-- coordinator (the shards' rows are copied back; Citus drops the shards). On a single
-- PostgreSQL it does nothing.
--
-- undistribute_table refuses a table with an identity column (chat_messages.id), so
-- chat_messages is brought back by hand first: its foreign keys dropped, a local table of
-- the same definition (columns, defaults, identity, checks) filled from it under lock, the
-- distributed one dropped, then keys, indexes and foreign keys as 0012 left them, and the
-- identity continuing after the highest id. Then undistribute_table takes the rest: with
-- cascade_via_foreign_keys it also takes every table connected by foreign keys, reference
-- tables included. Last, the keys 0013 swapped are swapped back. One transaction: it is
-- all or nothing.

DO $$
DECLARE
    seq text;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        RETURN;
    END IF;
    SET LOCAL statement_timeout = 0;
    SET LOCAL citus.multi_shard_modify_mode TO 'sequential';
    IF EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = 'chat_messages'::regclass) THEN
        LOCK TABLE chats IN ACCESS EXCLUSIVE MODE;
        LOCK TABLE chat_messages IN ACCESS EXCLUSIVE MODE;
        -- chat_message_embeddings (0010) references it: by id alone again at the end
        ALTER TABLE chat_message_embeddings
            DROP CONSTRAINT IF EXISTS chat_message_embeddings_message_id_fkey;
        ALTER TABLE chat_messages
            DROP CONSTRAINT IF EXISTS chat_messages_account_id_chat_id_fkey,
            DROP CONSTRAINT IF EXISTS chat_messages_model_config_id_fkey;
        ALTER TABLE chat_messages RENAME TO chat_messages_distributed;
        CREATE TABLE chat_messages (
            LIKE chat_messages_distributed
            INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS INCLUDING GENERATED
        );
        INSERT INTO chat_messages OVERRIDING SYSTEM VALUE
            SELECT * FROM chat_messages_distributed;
        DROP TABLE chat_messages_distributed;
        seq := pg_get_serial_sequence('chat_messages', 'id');
        EXECUTE format('ALTER SEQUENCE %s RENAME TO chat_messages_id_seq', seq);
        PERFORM setval('chat_messages_id_seq', coalesce(max(id), 0) + 1, false)
        FROM chat_messages;
    END IF;
    IF EXISTS (
        SELECT FROM pg_dist_partition WHERE logicalrelid = 'chat_message_embeddings'::regclass
    ) THEN
        PERFORM undistribute_table('chat_message_embeddings');
    END IF;
    IF EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = 'accounts'::regclass) THEN
        PERFORM undistribute_table('accounts', cascade_via_foreign_keys => true);
    END IF;
    IF EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = 'chat_model_configs'::regclass) THEN
        PERFORM undistribute_table('chat_model_configs', cascade_via_foreign_keys => true);
    END IF;
    IF EXISTS (SELECT FROM pg_dist_partition WHERE logicalrelid = 'chat_providers'::regclass) THEN
        PERFORM undistribute_table('chat_providers');
    END IF;
    IF EXISTS (
        SELECT FROM pg_dist_partition WHERE logicalrelid = 'chat_provider_tombstones'::regclass
    ) THEN
        PERFORM undistribute_table('chat_provider_tombstones');
    END IF;
    IF to_regclass('chat_messages_pkey') IS NULL THEN
        -- chat_messages as 0012 left it (the copy has its columns, defaults and checks)
        ALTER TABLE chat_messages ADD CONSTRAINT chat_messages_pkey PRIMARY KEY (id);
        CREATE UNIQUE INDEX chat_messages_account_id_id_key ON chat_messages (account_id, id);
        ALTER TABLE chat_messages
            ADD CONSTRAINT chat_messages_account_id_chat_id_client_message_id_key
            UNIQUE (account_id, chat_id, client_message_id);
        CREATE INDEX chat_messages_account_id_chat_id_id_idx
            ON chat_messages (account_id, chat_id, id);
        CREATE INDEX chat_messages_model_config_id_idx ON chat_messages (model_config_id);
        ALTER TABLE chat_messages
            ADD CONSTRAINT chat_messages_account_id_chat_id_fkey
            FOREIGN KEY (account_id, chat_id) REFERENCES chats (account_id, id)
            ON DELETE CASCADE;
    END IF;
    -- The keys as on a single PostgreSQL: ids unique on their own (this fails, and the
    -- rollback with it, if two accounts came to share an id while distributed).
    IF NOT EXISTS (SELECT FROM pg_constraint WHERE conname = 'chat_messages_model_config_id_fkey') THEN
        ALTER TABLE chat_messages
            ADD CONSTRAINT chat_messages_model_config_id_fkey FOREIGN KEY (model_config_id)
            REFERENCES chat_model_configs (id) ON DELETE SET NULL;
    END IF;
    IF NOT EXISTS (
        SELECT FROM pg_index WHERE indrelid = 'chats'::regclass AND indisprimary AND indnatts = 1
    ) THEN
        -- the (account_id, id) primary key back to 0011's plain unique index
        ALTER TABLE chat_messages DROP CONSTRAINT chat_messages_account_id_chat_id_fkey;
        ALTER TABLE chats DROP CONSTRAINT chats_pkey;
        CREATE UNIQUE INDEX chats_account_id_id_key ON chats (account_id, id);
        ALTER TABLE chats ADD CONSTRAINT chats_pkey PRIMARY KEY (id);
        ALTER TABLE chat_messages
            ADD CONSTRAINT chat_messages_account_id_chat_id_fkey
            FOREIGN KEY (account_id, chat_id) REFERENCES chats (account_id, id)
            ON DELETE CASCADE;
    END IF;
    IF to_regclass('users_pkey') IS NULL THEN
        ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY (id);
        ALTER TABLE users REPLICA IDENTITY DEFAULT;
    END IF;
    IF to_regclass('agents_pkey') IS NULL THEN
        ALTER TABLE agents ADD CONSTRAINT agents_pkey PRIMARY KEY (id);
        ALTER TABLE agents REPLICA IDENTITY DEFAULT;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_constraint WHERE conname = 'chat_model_configs_created_by_fkey') THEN
        ALTER TABLE chat_model_configs
            ADD CONSTRAINT chat_model_configs_created_by_fkey FOREIGN KEY (created_by)
            REFERENCES users (id) ON DELETE SET NULL,
            ADD CONSTRAINT chat_model_configs_updated_by_fkey FOREIGN KEY (updated_by)
            REFERENCES users (id) ON DELETE SET NULL;
    END IF;
    IF NOT EXISTS (
        SELECT FROM pg_constraint WHERE conname = 'chat_message_embeddings_message_id_fkey'
    ) THEN
        ALTER TABLE chat_message_embeddings
            ADD CONSTRAINT chat_message_embeddings_message_id_fkey FOREIGN KEY (message_id)
            REFERENCES chat_messages (id) ON DELETE CASCADE;
    END IF;
END
$$;
