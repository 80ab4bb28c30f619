-- Reverses 0011_chat_messages_account_id (also what an interrupted run of it left).
-- Every statement can run again.

DROP INDEX CONCURRENTLY IF EXISTS chat_messages_account_id_chat_id_id_idx;

DROP INDEX CONCURRENTLY IF EXISTS chat_messages_account_id_chat_id_client_message_id_key;

DROP INDEX CONCURRENTLY IF EXISTS chat_messages_account_id_id_key;

DROP INDEX CONCURRENTLY IF EXISTS chats_account_id_id_key;

ALTER TABLE chat_messages DROP COLUMN IF EXISTS account_id;
