-- On a Citus coordinator (the `citus` extension is installed in this database), the layout
-- of docs/scaling.md: the tenant tables distributed by account and co-located (a whole
-- conversation on one node: a send is a single-node transaction), the admin tables
-- reference tables (a copy on every node; their writes are two-phase commits). On a
-- single PostgreSQL (no `citus` extension) this migration does nothing.
--
-- Citus requires every primary key and unique key of a distributed table to include its
-- distribution column: the single-column primary keys give way to 0011's (account_id, id)
-- (users and agents keep 0007's unique (account_id, id) as their key), and
-- chat_model_configs loses its foreign keys to users (a reference table cannot reference
-- a distributed one; created_by and updated_by stay as plain columns).
--
-- The order is the one Citus accepts. A local table with a foreign key to a reference
-- table becomes a "Citus local" table that cannot then reference a distributed one, so the
-- two foreign keys to chat_model_configs are dropped first and added back last (a
-- distributed table may reference a reference table). Reference tables, then the root
-- `accounts`, then each table after the tables it references. Foreign keys to reference
-- tables need every step over one connection per node: multi_shard_modify_mode
-- sequential. Existing rows are copied to the shards under the table locks this
-- transaction takes: on a large database, expect writes to wait while it runs.
-- depends: 0012_distribution_keys

DO $$
DECLARE
    step text;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        RETURN;
    END IF;
    IF EXISTS (
        SELECT FROM pg_dist_partition
        WHERE logicalrelid = 'chat_messages'::regclass AND partmethod = 'h'
    ) THEN
        RETURN;
    END IF;
    SET LOCAL statement_timeout = 0;
    SET LOCAL citus.multi_shard_modify_mode TO 'sequential';
    -- Dynamic SQL: these run on Citus only, and the generator's schema replay (which does
    -- not evaluate the IF above) must not take them for the single-node schema.
    FOREACH step IN ARRAY ARRAY[
        -- keys: every key of a distributed table includes the account; ids are unique
        -- per account only from here on (on a single PostgreSQL, unique on their own)
        'ALTER TABLE chat_model_configs DROP CONSTRAINT IF EXISTS chat_model_configs_created_by_fkey,
            DROP CONSTRAINT IF EXISTS chat_model_configs_updated_by_fkey',
        'ALTER TABLE chats DROP CONSTRAINT chats_pkey',
        'ALTER TABLE chats ADD CONSTRAINT chats_pkey PRIMARY KEY USING INDEX chats_account_id_id_key',
        -- chat_message_embeddings (0010) references chat_messages by id alone: by
        -- (account_id, message_id) once distributed (the foreign key comes back last)
        'ALTER TABLE chat_message_embeddings
            DROP CONSTRAINT chat_message_embeddings_message_id_fkey',
        'ALTER TABLE chat_messages DROP CONSTRAINT chat_messages_pkey',
        'ALTER TABLE chat_messages
            ADD CONSTRAINT chat_messages_pkey PRIMARY KEY USING INDEX chat_messages_account_id_id_key',
        -- users and agents: 0007's unique (account_id, id) is their key (chats reference
        -- it) and their replica identity (Citus moves shards by logical replication)
        'ALTER TABLE users DROP CONSTRAINT users_pkey',
        'ALTER TABLE users REPLICA IDENTITY USING INDEX users_account_id_id_key',
        'ALTER TABLE agents DROP CONSTRAINT agents_pkey',
        'ALTER TABLE agents REPLICA IDENTITY USING INDEX agents_account_id_id_key',
        -- distribution, in the order Citus accepts
        'ALTER TABLE chats DROP CONSTRAINT IF EXISTS chats_model_config_id_fkey',
        'ALTER TABLE chat_messages DROP CONSTRAINT IF EXISTS chat_messages_model_config_id_fkey',
        'SELECT create_reference_table(''chat_providers'')',
        'SELECT create_reference_table(''chat_provider_tombstones'')',
        'SELECT create_reference_table(''chat_model_configs'')',
        'SELECT create_distributed_table(''accounts'', ''id'')',
        'SELECT create_distributed_table(''users'', ''account_id'', colocate_with => ''accounts'')',
        'SELECT create_distributed_table(''agents'', ''account_id'', colocate_with => ''accounts'')',
        'SELECT create_distributed_table(''chats'', ''account_id'', colocate_with => ''accounts'')',
        'SELECT create_distributed_table(''chat_messages'', ''account_id'', colocate_with => ''accounts'')',
        'SELECT create_distributed_table(''chat_message_embeddings'', ''account_id'',
            colocate_with => ''accounts'')',
        'ALTER TABLE chat_message_embeddings ADD CONSTRAINT chat_message_embeddings_message_id_fkey
            FOREIGN KEY (account_id, message_id) REFERENCES chat_messages (account_id, id)
            ON DELETE CASCADE',
        'ALTER TABLE chats ADD CONSTRAINT chats_model_config_id_fkey FOREIGN KEY (model_config_id)
            REFERENCES chat_model_configs (id) ON DELETE SET NULL',
        'ALTER TABLE chat_messages ADD CONSTRAINT chat_messages_model_config_id_fkey
            FOREIGN KEY (model_config_id) REFERENCES chat_model_configs (id) ON DELETE SET NULL'
    ] LOOP
        EXECUTE step;
    END LOOP;
END
$$;
