-- Tenant isolation, deleted chats that stay deleted, and provider tombstones.
--
-- 1. A chat's user and agent belong to the chat's account, enforced by the schema:
--    users and agents get a unique key (account_id, id), and chats reference them by
--    (account_id, user_id) and (account_id, agent_id) instead of the bare ids. A chat
--    stamped with one account but another account's user or agent cannot be stored.
--    Chats that already mix accounts were made through the cross-tenant hole this
--    closes; they are deleted (with their messages) before the keys are validated.
-- 2. chats.deleted_at: a deleted chat keeps its row as a tombstone (its messages are
--    deleted and its title erased), so a late retry of a send cannot re-create it: the
--    id stays taken.
-- 3. chat_provider_tombstones: a provider row is hard-deleted (seed 000); its name is
--    remembered here so that a retried delete can report "already deleted".
--
-- Written to run while the service keeps writing (the pattern of 0006):
--   - indexes are built CONCURRENTLY (no write is blocked while they build), and the
--     unique keys are made from them with ADD CONSTRAINT ... USING INDEX (a brief lock);
--   - the composite foreign keys are added NOT VALID (a brief lock: from then on no
--     cross-tenant chat can be written), the old cross-tenant chats are deleted in
--     batches of 1,000, each its own transaction, then VALIDATE CONSTRAINT scans under
--     SHARE UPDATE EXCLUSIVE, which blocks no reader and no writer;
--   - every ALTER TABLE chats locks chats first and the referenced table second, the
--     order in which the service's writes to chats lock them (the foreign key checks).
-- Each statement runs on its own (not transactional), and each can run again over
-- whatever an interrupted run of this file or of its rollback left behind: `codegen
-- migrate` records its progress per statement, resumes an interrupted apply at the
-- statement it stopped at, and reverses one by running the whole rollback file. So: IF
-- [NOT] EXISTS everywhere, a catalog check before each ADD CONSTRAINT (which has no IF
-- NOT EXISTS), and an INVALID index left by an interrupted build is dropped by `codegen
-- migrate` before the build runs again.
-- transactional: false
-- depends: 0006_chat_messages_chat_fk

CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_account_id_id_key ON users (account_id, id);

CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS agents_account_id_id_key
    ON agents (account_id, id);

DO $$
BEGIN
    IF NOT EXISTS (
        SELECT FROM pg_constraint
        WHERE conrelid = 'users'::regclass AND conname = 'users_account_id_id_key'
    ) THEN
        ALTER TABLE users
            ADD CONSTRAINT users_account_id_id_key UNIQUE USING INDEX users_account_id_id_key;
    END IF;
END
$$;

DO $$
BEGIN
    IF NOT EXISTS (
        SELECT FROM pg_constraint
        WHERE conrelid = 'agents'::regclass AND conname = 'agents_account_id_id_key'
    ) THEN
        ALTER TABLE agents
            ADD CONSTRAINT agents_account_id_id_key UNIQUE USING INDEX agents_account_id_id_key;
    END IF;
END
$$;

-- The new keys' lookups (cascading deletes of users and agents) use these; the old
-- single-column indexes are covered by them and go at the end.
CREATE INDEX CONCURRENTLY IF NOT EXISTS chats_account_id_user_id_idx
    ON chats (account_id, user_id);

CREATE INDEX CONCURRENTLY IF NOT EXISTS chats_account_id_agent_id_idx
    ON chats (account_id, agent_id);

-- Both keys in one transaction (chats locked first, then users, then agents), each only
-- if it is not there yet.
DO $$
BEGIN
    IF NOT EXISTS (
        SELECT FROM pg_constraint
        WHERE conrelid = 'chats'::regclass AND conname = 'chats_account_id_user_id_fkey'
    ) THEN
        ALTER TABLE chats
            ADD CONSTRAINT chats_account_id_user_id_fkey
            FOREIGN KEY (account_id, user_id) REFERENCES users (account_id, id)
            ON DELETE CASCADE NOT VALID;
    END IF;
    IF NOT EXISTS (
        SELECT FROM pg_constraint
        WHERE conrelid = 'chats'::regclass AND conname = 'chats_account_id_agent_id_fkey'
    ) THEN
        ALTER TABLE chats
            ADD CONSTRAINT chats_account_id_agent_id_fkey
            FOREIGN KEY (account_id, agent_id) REFERENCES agents (account_id, id)
            ON DELETE CASCADE NOT VALID;
    END IF;
END
$$;

DO $$
DECLARE
    deleted bigint;
BEGIN
    LOOP
        DELETE FROM chats
        WHERE id IN (
            SELECT c.id FROM chats c
            WHERE NOT EXISTS (
                    SELECT 1 FROM users u WHERE u.id = c.user_id AND u.account_id = c.account_id
                )
                OR NOT EXISTS (
                    SELECT 1 FROM agents a
                    WHERE a.id = c.agent_id AND a.account_id = c.account_id
                )
            LIMIT 1000
        );
        GET DIAGNOSTICS deleted = ROW_COUNT;
        EXIT WHEN deleted = 0;
        COMMIT;
    END LOOP;
END
$$;

ALTER TABLE chats
    VALIDATE CONSTRAINT chats_account_id_user_id_fkey,
    VALIDATE CONSTRAINT chats_account_id_agent_id_fkey;

-- The composite keys replace the single-column ones (and are strictly stronger).
ALTER TABLE chats
    DROP CONSTRAINT IF EXISTS chats_user_id_fkey,
    DROP CONSTRAINT IF EXISTS chats_agent_id_fkey;

DROP INDEX CONCURRENTLY IF EXISTS chats_account_id_idx;

DROP INDEX CONCURRENTLY IF EXISTS chats_agent_id_idx;

ALTER TABLE chats ADD COLUMN IF NOT EXISTS deleted_at timestamptz NULL;

CREATE TABLE IF NOT EXISTS chat_provider_tombstones (
    provider   text        PRIMARY KEY,
    deleted_at timestamptz NOT NULL DEFAULT now()
);
