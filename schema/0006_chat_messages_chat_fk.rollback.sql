-- Reverses 0006_chat_messages_chat_fk as far as possible: drops the foreign key.
-- The orphaned messages the forward migration deleted are gone for good; rolling
-- back does not (and cannot) bring them back.

ALTER TABLE chat_messages DROP CONSTRAINT chat_messages_chat_id_fkey;
