-- Reverses 0010_chat_message_embeddings, in reverse order. The extension goes too; its
-- DROP fails (and the rollback with it) while anything else still uses pgvector.

DROP INDEX chat_message_embeddings_embedding_idx;

DROP INDEX chat_message_embeddings_message_id_idx;

DROP TABLE chat_message_embeddings;

DROP EXTENSION vector;
