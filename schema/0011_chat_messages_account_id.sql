-- Every message carries its chat's account (chat_messages.account_id), and the keys the
-- tenant-scoped writes conflict on include the account. Step one of distributing the
-- schema by account (docs/scaling.md: on Citus every key of a distributed table includes
-- its distribution column); it runs on a single PostgreSQL as well, where it changes no
-- behaviour: the new keys sit beside the old ones until 0012 swaps them.
--
-- 1. chat_messages.account_id, added NULL, backfilled from chats in id ranges of 5,000,
--    each its own transaction (the service keeps writing; 0012 makes it NOT NULL once the
--    service writes it, which the queries of the same release do).
-- 2. Unique indexes built CONCURRENTLY (no write waits): chats (account_id, id),
--    chat_messages (account_id, id) and (account_id, chat_id, client_message_id) (retried
--    sends stay idempotent per account), and the paging index (account_id, chat_id, id).
--
-- Every statement can run again over what an interrupted run left (IF NOT EXISTS; the
-- backfill only touches rows still NULL; `codegen migrate` drops an INVALID index left by
-- an interrupted build before building it again).
-- transactional: false
-- depends: 0009_users_email_per_account

ALTER TABLE chat_messages ADD COLUMN IF NOT EXISTS account_id uuid NULL;

SET statement_timeout = 0;

DO $$
DECLARE
    lo bigint;
    hi bigint;
BEGIN
    SELECT min(id), max(id) INTO lo, hi FROM chat_messages WHERE account_id IS NULL;
    WHILE lo <= hi LOOP
        UPDATE chat_messages m
        SET account_id = c.account_id
        FROM chats c
        WHERE c.id = m.chat_id AND m.id >= lo AND m.id < lo + 5000 AND m.account_id IS NULL;
        lo := lo + 5000;
        COMMIT;
    END LOOP;
END
$$;

CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS chats_account_id_id_key ON chats (account_id, id);

CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS chat_messages_account_id_id_key
    ON chat_messages (account_id, id);

CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS chat_messages_account_id_chat_id_client_message_id_key
    ON chat_messages (account_id, chat_id, client_message_id);

CREATE INDEX CONCURRENTLY IF NOT EXISTS chat_messages_account_id_chat_id_id_idx
    ON chat_messages (account_id, chat_id, id);
