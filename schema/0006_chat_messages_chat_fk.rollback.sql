-- Reverses 0006_chat_messages_chat_fk as far as possible: drops the foreign key.
-- The orphaned messages the forward migration deleted are gone for good; rolling
-- back does not (and cannot) bring them back.
--
-- Dropping a foreign key takes ACCESS EXCLUSIVE on both tables. They are locked in the
-- service's order, chats then chat_messages, in one statement (one transaction: the
-- migration is not transactional), so the drop cannot deadlock with send_message.
-- IF EXISTS: it also reverses an apply that was interrupted before the key was added.

DO $$
BEGIN
    LOCK TABLE chats IN ACCESS EXCLUSIVE MODE;
    LOCK TABLE chat_messages IN ACCESS EXCLUSIVE MODE;
    ALTER TABLE chat_messages DROP CONSTRAINT IF EXISTS chat_messages_chat_id_fkey;
END
$$;
