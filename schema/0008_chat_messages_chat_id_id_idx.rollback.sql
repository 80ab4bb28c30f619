-- Reverses 0008_chat_messages_chat_id_id_idx (it also removes what an interrupted build
-- of it left).

DROP INDEX CONCURRENTLY IF EXISTS chat_messages_chat_id_id_idx;
