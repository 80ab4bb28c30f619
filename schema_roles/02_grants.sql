-- Least privilege for the chat data layer, part 2 of 2: what the application may do.
--
-- Run as chatdb_owner AFTER every migration run (it is idempotent):
--
--     python -m codegen.migrate --dsn "postgresql://chatdb_owner@host/chatdb" apply
--     psql "postgresql://chatdb_owner@host/chatdb" -v ON_ERROR_STOP=1 \
--          -f schema_roles/02_grants.sql
--
-- Exactly the privileges the statements in queries/*.sql need, table by table
-- (tests/test_security.py derives that set from the generated SQL and compares):
--   SELECT   read, RETURNING, WHERE, and any row lock (FOR UPDATE needs UPDATE too)
--   INSERT   inserts and COPY FROM (copyfrom)
--   UPDATE   updates and SELECT ... FOR UPDATE
--   DELETE   hard deletes
-- Nothing on yoyo's tables, no TRUNCATE/REFERENCES/TRIGGER, no grant options. Chats are
-- never hard-deleted by the app (a deleted chat stays as a tombstone row, migration
-- 0007), so no DELETE on chats; the deleted chat's messages are deleted explicitly.
-- A new table in a migration gets no privileges until it is added here.

REVOKE ALL ON ALL TABLES IN SCHEMA public FROM chatdb_app;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM chatdb_app;

GRANT SELECT, INSERT ON accounts, users, agents TO chatdb_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON chat_providers TO chatdb_app;
GRANT SELECT, INSERT, UPDATE ON chat_model_configs TO chatdb_app;  -- soft deletes only
GRANT SELECT, INSERT, UPDATE ON chats TO chatdb_app;  -- deletes are tombstones (UPDATE)
GRANT SELECT, INSERT, DELETE ON chat_messages TO chatdb_app;
GRANT SELECT, INSERT, DELETE ON chat_provider_tombstones TO chatdb_app;
-- Stored again for the same message: INSERT ... ON CONFLICT DO UPDATE. Deleted only by
-- the cascade from chat_messages, which runs as the table's owner. Granted once migration
-- 0010 made the table: this file runs at any migration too (after a rollback past 0010).
DO $$
BEGIN
    IF to_regclass('chat_message_embeddings') IS NOT NULL THEN
        GRANT SELECT, INSERT, UPDATE ON chat_message_embeddings TO chatdb_app;
    END IF;
END
$$;

-- The identity sequence behind chat_messages.id.
GRANT USAGE ON SEQUENCE chat_messages_id_seq TO chatdb_app;
