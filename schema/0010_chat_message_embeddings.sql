-- Semantic search over a user's chat history: one embedding per message (pgvector).
--
-- The embedding model is a product decision (docs/semantic_search.md): all-MiniLM-L6-v2,
-- 384 dimensions, compared by cosine distance (`<=>`). Another model means another
-- column or table in a new migration, never vectors of two models in one column.
--
-- Each row carries the message, its chat and its account: account_id is the tenant key
-- (every tenant table has one, and searches filter on it first); chat_id and account_id
-- are copied from the message's chat by the query that stores the embedding
-- (UpsertChatMessageEmbedding), never taken from the caller. The foreign key to the
-- message cascades: deleting a message (or its chat, or its account) deletes its
-- embedding, so no orphan embedding can exist.
--
-- The key is (account_id, message_id): it leads with the tenant (every key of a table
-- distributed by account must include it, docs/scaling.md) and serves the exact search of
-- a small tenant, which the planner prefers when the tenant has few rows. HNSW (m = 16,
-- ef_construction = 64, pgvector's defaults written out) serves the k-nearest searches.
-- A new, empty table: both indexes are built in this migration's transaction at no cost.
-- `CREATE EXTENSION vector` needs a superuser (pgvector is not a trusted extension) and
-- pgvector installed on the server (0.8.6 was tested; Debian: ../shared/pgvector/build.sh).
-- depends: 0009_users_email_per_account

CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE chat_message_embeddings (
    message_id bigint      NOT NULL REFERENCES chat_messages (id) ON DELETE CASCADE,
    account_id uuid        NOT NULL,
    chat_id    uuid        NOT NULL,
    embedding  vector(384) NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, message_id)
);

-- The foreign key's own index: deleting messages (a chat, an account) finds their
-- embeddings by it.
CREATE INDEX chat_message_embeddings_message_id_idx ON chat_message_embeddings (message_id);

CREATE INDEX chat_message_embeddings_embedding_idx ON chat_message_embeddings
    USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64);
