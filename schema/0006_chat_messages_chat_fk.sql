-- Data migration: every message must belong to a chat.
-- Before this migration chat_messages.chat_id had no foreign key and messages were
-- saved for chats that were never created. Those orphans are unreachable (no chat
-- lists them), so they are deleted, and the foreign key makes sure no new orphan can
-- appear and that deleting a chat deletes its messages.
--
-- Written to run while the service keeps writing (the safe pattern for a busy table):
--   1. add the foreign key NOT VALID in one short transaction that takes its locks in
--      the service's order, chats then chat_messages (send_message writes chats first):
--      the opposite order deadlocks with it. From here on no orphan can be created.
--   2. delete the orphans in batches of 5,000 rows, each batch its own transaction;
--   3. VALIDATE CONSTRAINT on its own: it scans under SHARE UPDATE EXCLUSIVE, which
--      blocks no reader and no writer.
-- Steps 2 and 3 block nobody, so they run without the statement_timeout every
-- migration otherwise gets. `codegen migrate` sets lock_timeout (default 5s): if step 1
-- cannot get its locks in time, the migration is undone and retried with backoff.
--
-- Every statement can run again over what an interrupted run left (`codegen migrate`
-- resumes a non-transactional migration at the statement it stopped at, and a rollback
-- runs the whole rollback file): the foreign key is added only when it is not there yet.
--
-- No separate index on chat_id is needed: the unique index on
-- (chat_id, client_message_id) from 0005 has chat_id as its leading column and
-- serves the ON DELETE CASCADE lookups and the validation.
-- transactional: false
-- depends: 0005_chat_messages

BEGIN;
LOCK TABLE chats IN SHARE ROW EXCLUSIVE MODE;
LOCK TABLE chat_messages IN SHARE ROW EXCLUSIVE MODE;
DO $$
BEGIN
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
COMMIT;

SET statement_timeout = 0;

DO $$
DECLARE
    deleted bigint;
BEGIN
    LOOP
        DELETE FROM chat_messages
        WHERE id IN (
            SELECT m.id FROM chat_messages m
            WHERE NOT EXISTS (SELECT 1 FROM chats c WHERE c.id = m.chat_id)
            LIMIT 5000
        );
        GET DIAGNOSTICS deleted = ROW_COUNT;
        EXIT WHEN deleted = 0;
        COMMIT;
    END LOOP;
END
$$;

-- In a DO block only so that the generator's schema replay (which learns tables, not
-- constraint states) passes over it; PostgreSQL runs it as written.
DO $$ BEGIN ALTER TABLE chat_messages VALIDATE CONSTRAINT chat_messages_chat_id_fkey; END $$;
