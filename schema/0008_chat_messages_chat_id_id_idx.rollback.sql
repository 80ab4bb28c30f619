-- Reverses 0008_chat_messages_chat_id_id_idx (one statement per forward statement, in
-- reverse order, as yoyo pairs them).

DROP INDEX CONCURRENTLY IF EXISTS chat_messages_chat_id_id_idx;

-- nothing to undo
DO $$ BEGIN END $$;
