-- Semantic search over a user's messages (pgvector; migration 0010). Every read and
-- write is confined to one account and one user in SQL, like every other read.

-- Store (or replace) a message's embedding. The message is found through its chat, which
-- must be the user's, in the account, and not deleted; its chat and account are copied
-- from there. No row: no such message for this user.
-- name: UpsertChatMessageEmbedding :one
INSERT INTO chat_message_embeddings (message_id, account_id, chat_id, embedding)
SELECT m.id, m.account_id, c.id, @embedding
FROM chat_messages m
JOIN chats c ON c.account_id = m.account_id AND c.id = m.chat_id
WHERE m.account_id = @account_id
  AND m.id = @message_id
  AND c.account_id = @account_id
  AND c.user_id = @user_id
  AND c.deleted_at IS NULL
ON CONFLICT (account_id, message_id)
DO UPDATE SET embedding = EXCLUDED.embedding, created_at = EXCLUDED.created_at
RETURNING message_id, chat_id;

-- Approximate search (HNSW) keeps scanning until enough rows pass the account and user
-- filters, in distance order (pgvector 0.8: hnsw.iterative_scan), for this transaction.
-- A SET LOCAL (not set_config): on a Citus coordinator it also reaches the workers where
-- the index scans run (citus.propagate_set_commands = 'local', `Timeouts.to_workers`).
-- name: SearchExhaustively :exec
SET LOCAL hnsw.iterative_scan = strict_order;

-- The user's k messages nearest to `embedding` by cosine distance (0: same direction, 2:
-- opposite), nearest first; only the user's live chats in the account.
-- name: SearchChatMessagesByEmbedding :many
SELECT m.id, m.chat_id, m.role, m.content, m.created_at, e.embedding <=> @embedding AS distance
FROM chat_message_embeddings e
JOIN chats c ON c.account_id = e.account_id AND c.id = e.chat_id
JOIN chat_messages m ON m.account_id = e.account_id AND m.id = e.message_id
WHERE e.account_id = @account_id
  AND c.account_id = @account_id
  AND c.user_id = @user_id
  AND c.deleted_at IS NULL
ORDER BY e.embedding <=> @embedding
LIMIT @k;
