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
-- Each statement runs on its own (not transactional); `codegen migrate` gives each a
-- lock_timeout and retries the migration with backoff. yoyo pairs statement k of this
-- file with statement n+1-k of the rollback file and, when statement k fails, undoes
-- statements k-1..1 with their pairs: the rollback file keeps that pairing exactly (one
-- statement per statement, a no-op where there is nothing to undo). An index build that
-- failed half way leaves an invalid index behind; the DROP ... IF EXISTS before each
-- build removes it when the migration is retried.
-- transactional: false
-- depends: 0006_chat_messages_chat_fk

DROP INDEX CONCURRENTLY IF EXISTS users_account_id_id_key;

CREATE UNIQUE INDEX CONCURRENTLY users_account_id_id_key ON users (account_id, id);

DROP INDEX CONCURRENTLY IF EXISTS agents_account_id_id_key;

CREATE UNIQUE INDEX CONCURRENTLY agents_account_id_id_key ON agents (account_id, id);

ALTER TABLE users ADD CONSTRAINT users_account_id_id_key UNIQUE USING INDEX users_account_id_id_key;

ALTER TABLE agents
    ADD CONSTRAINT agents_account_id_id_key UNIQUE USING INDEX agents_account_id_id_key;

-- The new keys' lookups (cascading deletes of users and agents) use these; the old
-- single-column indexes are covered by them and go at the end.
DROP INDEX CONCURRENTLY IF EXISTS chats_account_id_user_id_idx;

CREATE INDEX CONCURRENTLY chats_account_id_user_id_idx ON chats (account_id, user_id);

DROP INDEX CONCURRENTLY IF EXISTS chats_account_id_agent_id_idx;

CREATE INDEX CONCURRENTLY chats_account_id_agent_id_idx ON chats (account_id, agent_id);

ALTER TABLE chats
    ADD CONSTRAINT chats_account_id_user_id_fkey
        FOREIGN KEY (account_id, user_id) REFERENCES users (account_id, id)
        ON DELETE CASCADE NOT VALID,
    ADD CONSTRAINT chats_account_id_agent_id_fkey
        FOREIGN KEY (account_id, agent_id) REFERENCES agents (account_id, id)
        ON DELETE CASCADE NOT VALID;

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
ALTER TABLE chats DROP CONSTRAINT chats_user_id_fkey, DROP CONSTRAINT chats_agent_id_fkey;

DROP INDEX CONCURRENTLY chats_account_id_idx;

DROP INDEX CONCURRENTLY chats_agent_id_idx;

ALTER TABLE chats ADD COLUMN deleted_at timestamptz NULL;

CREATE TABLE chat_provider_tombstones (
    provider   text        PRIMARY KEY,
    deleted_at timestamptz NOT NULL DEFAULT now()
);
