-- Ids unique per account on every engine: the keys of the tenant tables include the
-- account, as 0013 made them on Citus (where every key of a distributed table must
-- include its distribution column). With the same keys on a single PostgreSQL, an id is
-- one account's: the service looks every row up by (account_id, id), and an id another
-- account uses is a different row of this account that reveals nothing about the other
-- one. The guarantees are then the same on both engines (tests/test_repeats.py).
--
-- chats and chat_messages: primary key (account_id, id), from 0011's unique indexes.
-- users and agents: 0007's unique (account_id, id) is their key (chats reference it) and
-- their replica identity. chat_message_embeddings references its message by (account_id,
-- message_id). chat_model_configs.created_by/updated_by stay plain columns (a user is
-- one account's; they cannot reference users by id alone any more).
--
-- On a Citus coordinator 0013 did all of this already: nothing to do. One transaction,
-- the tables locked in the service's order (chats before chat_messages); it holds an
-- exclusive lock only while the keys are swapped (no index is built: the indexes exist).
-- depends: 0013_distribute_by_account

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') OR NOT EXISTS (
        SELECT FROM pg_constraint WHERE conrelid = 'users'::regclass AND conname = 'users_pkey'
    ) THEN
        RETURN;
    END IF;
    LOCK TABLE chats IN ACCESS EXCLUSIVE MODE;
    LOCK TABLE chat_messages IN ACCESS EXCLUSIVE MODE;
    LOCK TABLE chat_message_embeddings IN ACCESS EXCLUSIVE MODE;
    ALTER TABLE chat_model_configs
        DROP CONSTRAINT IF EXISTS chat_model_configs_created_by_fkey,
        DROP CONSTRAINT IF EXISTS chat_model_configs_updated_by_fkey;
    ALTER TABLE chat_message_embeddings DROP CONSTRAINT chat_message_embeddings_message_id_fkey;
    ALTER TABLE chats DROP CONSTRAINT chats_pkey;
    ALTER TABLE chats ADD CONSTRAINT chats_pkey PRIMARY KEY USING INDEX chats_account_id_id_key;
    ALTER TABLE chat_messages DROP CONSTRAINT chat_messages_pkey;
    ALTER TABLE chat_messages
        ADD CONSTRAINT chat_messages_pkey PRIMARY KEY USING INDEX chat_messages_account_id_id_key;
    ALTER TABLE users DROP CONSTRAINT users_pkey;
    ALTER TABLE users REPLICA IDENTITY USING INDEX users_account_id_id_key;
    ALTER TABLE agents DROP CONSTRAINT agents_pkey;
    ALTER TABLE agents REPLICA IDENTITY USING INDEX agents_account_id_id_key;
    ALTER TABLE chat_message_embeddings
        ADD CONSTRAINT chat_message_embeddings_message_id_fkey
        FOREIGN KEY (account_id, message_id) REFERENCES chat_messages (account_id, id)
        ON DELETE CASCADE;
END
$$;
