-- Reverses 0007_tenant_keys_chat_tombstones. Deleted chats (tombstones) are removed
-- with the column that marks them; cross-tenant chats the forward migration deleted
-- are not brought back.
--
-- One statement per statement of the forward file, in reverse order (statement k here
-- undoes forward statement n+1-k): yoyo relies on that pairing to undo a forward run
-- that failed half way. An empty DO block stands where there is nothing.
-- Written for a busy service like the forward file: indexes CONCURRENTLY, the old
-- foreign keys re-added NOT VALID and then validated, chats locked before the tables
-- its foreign keys reference.

DROP TABLE IF EXISTS chat_provider_tombstones;

DO $$
BEGIN
    LOCK TABLE chats IN ACCESS EXCLUSIVE MODE;
    IF EXISTS (
        SELECT 1 FROM pg_attribute
        WHERE attrelid = 'chats'::regclass AND attname = 'deleted_at' AND NOT attisdropped
    ) THEN
        DELETE FROM chats WHERE deleted_at IS NOT NULL;
        ALTER TABLE chats DROP COLUMN deleted_at;
    END IF;
END
$$;

CREATE INDEX CONCURRENTLY IF NOT EXISTS chats_agent_id_idx ON chats (agent_id);

CREATE INDEX CONCURRENTLY IF NOT EXISTS chats_account_id_idx ON chats (account_id);

ALTER TABLE chats
    ADD CONSTRAINT chats_user_id_fkey
        FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE NOT VALID,
    ADD CONSTRAINT chats_agent_id_fkey
        FOREIGN KEY (agent_id) REFERENCES agents (id) ON DELETE CASCADE NOT VALID;

ALTER TABLE chats
    VALIDATE CONSTRAINT chats_user_id_fkey,
    VALIDATE CONSTRAINT chats_agent_id_fkey;

-- nothing to undo: deleted cross-tenant chats are not restored
DO $$ BEGIN END $$;

ALTER TABLE chats
    DROP CONSTRAINT IF EXISTS chats_account_id_user_id_fkey,
    DROP CONSTRAINT IF EXISTS chats_account_id_agent_id_fkey;

DROP INDEX CONCURRENTLY IF EXISTS chats_account_id_agent_id_idx;

-- nothing to undo
DO $$ BEGIN END $$;

DROP INDEX CONCURRENTLY IF EXISTS chats_account_id_user_id_idx;

-- nothing to undo
DO $$ BEGIN END $$;

ALTER TABLE agents DROP CONSTRAINT IF EXISTS agents_account_id_id_key;

ALTER TABLE users DROP CONSTRAINT IF EXISTS users_account_id_id_key;

DROP INDEX CONCURRENTLY IF EXISTS agents_account_id_id_key;

-- nothing to undo
DO $$ BEGIN END $$;

DROP INDEX CONCURRENTLY IF EXISTS users_account_id_id_key;

-- nothing to undo
DO $$ BEGIN END $$;
