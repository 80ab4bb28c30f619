-- Reverses 0007_tenant_keys_chat_tombstones, in reverse order of its statements.
--
-- It never destroys what it cannot restore: while any chat is deleted (a tombstone row,
-- chats.deleted_at set) or any provider tombstone exists, it REFUSES, before it changes
-- anything, and again under lock right before each drop (tombstones written meanwhile).
-- Without those rows a late retry of a deleted chat's send would re-create the chat with
-- its text, and a retried provider delete would no longer say "already deleted". To roll
-- back anyway, decide what happens to them first, by hand. Cross-tenant chats the forward
-- migration deleted are not brought back.
--
-- Every statement can run again over whatever an interrupted run of this file or of the
-- forward file left behind (IF [NOT] EXISTS, catalog checks): `codegen migrate` resumes an
-- interrupted rollback at the statement it stopped at, and runs this whole file to reverse
-- an interrupted apply. Written for a busy service like the forward file: indexes
-- CONCURRENTLY, the old foreign keys re-added NOT VALID and then validated, chats locked
-- before the tables its foreign keys reference.

DO $$
DECLARE
    chats_deleted bigint := 0;
    providers bigint := 0;
BEGIN
    IF to_regclass('chat_provider_tombstones') IS NOT NULL THEN
        EXECUTE 'SELECT count(*) FROM chat_provider_tombstones' INTO providers;
    END IF;
    IF EXISTS (
        SELECT FROM pg_attribute
        WHERE attrelid = 'chats'::regclass AND attname = 'deleted_at' AND NOT attisdropped
    ) THEN
        EXECUTE 'SELECT count(*) FROM chats WHERE deleted_at IS NOT NULL' INTO chats_deleted;
    END IF;
    IF chats_deleted > 0 OR providers > 0 THEN
        RAISE EXCEPTION 'refused: % deleted chats and % provider tombstones would be lost (keep or delete them by hand first)',
            chats_deleted, providers
            USING ERRCODE = 'object_in_use';
    END IF;
END
$$;

DO $$
BEGIN
    IF to_regclass('chat_provider_tombstones') IS NOT NULL THEN
        LOCK TABLE chat_provider_tombstones IN ACCESS EXCLUSIVE MODE;
        IF EXISTS (SELECT FROM chat_provider_tombstones) THEN
            RAISE EXCEPTION 'refused: provider tombstones were written during the rollback'
                USING ERRCODE = 'object_in_use';
        END IF;
        DROP TABLE chat_provider_tombstones;
    END IF;
END
$$;

DO $$
BEGIN
    LOCK TABLE chats IN ACCESS EXCLUSIVE MODE;
    IF EXISTS (
        SELECT FROM pg_attribute
        WHERE attrelid = 'chats'::regclass AND attname = 'deleted_at' AND NOT attisdropped
    ) THEN
        IF EXISTS (SELECT FROM chats WHERE deleted_at IS NOT NULL) THEN
            RAISE EXCEPTION 'refused: chats were deleted during the rollback'
                USING ERRCODE = 'object_in_use';
        END IF;
        ALTER TABLE chats DROP COLUMN deleted_at;
    END IF;
END
$$;

CREATE INDEX CONCURRENTLY IF NOT EXISTS chats_agent_id_idx ON chats (agent_id);

CREATE INDEX CONCURRENTLY IF NOT EXISTS chats_account_id_idx ON chats (account_id);

DO $$
BEGIN
    IF NOT EXISTS (
        SELECT FROM pg_constraint
        WHERE conrelid = 'chats'::regclass AND conname = 'chats_user_id_fkey'
    ) THEN
        ALTER TABLE chats
            ADD CONSTRAINT chats_user_id_fkey
            FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE NOT VALID;
    END IF;
    IF NOT EXISTS (
        SELECT FROM pg_constraint
        WHERE conrelid = 'chats'::regclass AND conname = 'chats_agent_id_fkey'
    ) THEN
        ALTER TABLE chats
            ADD CONSTRAINT chats_agent_id_fkey
            FOREIGN KEY (agent_id) REFERENCES agents (id) ON DELETE CASCADE NOT VALID;
    END IF;
END
$$;

ALTER TABLE chats
    VALIDATE CONSTRAINT chats_user_id_fkey,
    VALIDATE CONSTRAINT chats_agent_id_fkey;

ALTER TABLE chats
    DROP CONSTRAINT IF EXISTS chats_account_id_user_id_fkey,
    DROP CONSTRAINT IF EXISTS chats_account_id_agent_id_fkey;

DROP INDEX CONCURRENTLY IF EXISTS chats_account_id_agent_id_idx;

DROP INDEX CONCURRENTLY IF EXISTS chats_account_id_user_id_idx;

ALTER TABLE agents DROP CONSTRAINT IF EXISTS agents_account_id_id_key;

ALTER TABLE users DROP CONSTRAINT IF EXISTS users_account_id_id_key;

DROP INDEX CONCURRENTLY IF EXISTS agents_account_id_id_key;

DROP INDEX CONCURRENTLY IF EXISTS users_account_id_id_key;
