-- Data migration: every message must belong to a chat.
-- Before this migration chat_messages.chat_id had no foreign key and messages were
-- saved for chats that were never created. Those orphans are unreachable (no chat
-- lists them), so they are deleted, then the foreign key is added so no new orphan
-- can appear, and deleting a chat deletes its messages.
--
-- The whole migration runs in one transaction. The LOCK blocks writes to both
-- tables until it commits, so no orphan can be created between the DELETE and the
-- validation done by ADD CONSTRAINT (readers are not blocked).
-- On an empty database the DELETE removes nothing and the constraint is added.
--
-- No separate index on chat_id is needed: the unique index on
-- (chat_id, client_message_id) from 0005 has chat_id as its leading column and
-- serves the ON DELETE CASCADE lookups.
-- depends: 0005_chat_messages

LOCK TABLE chat_messages, chats IN SHARE ROW EXCLUSIVE MODE;

DELETE FROM chat_messages m
WHERE NOT EXISTS (SELECT 1 FROM chats c WHERE c.id = m.chat_id);

ALTER TABLE chat_messages
    ADD CONSTRAINT chat_messages_chat_id_fkey
    FOREIGN KEY (chat_id) REFERENCES chats (id) ON DELETE CASCADE;
