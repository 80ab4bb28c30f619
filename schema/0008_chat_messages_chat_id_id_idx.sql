-- A chat's messages in order (ListChatMessages: WHERE chat_id = $1 AND id > $2 ORDER BY
-- id LIMIT n) read straight from this index. Without it PostgreSQL walks the primary key
-- in id order and discards every other chat's messages: `codegen explain` measured
-- 99,995 rows read to return 50 on a 50,000-message chat.
-- Built CONCURRENTLY (no write waits for it), so not in a transaction. A build that was
-- interrupted leaves an INVALID index, which IF NOT EXISTS alone would skip: `codegen
-- migrate` drops an invalid index of the name before building it again.
-- transactional: false
-- depends: 0007_tenant_keys_chat_tombstones

CREATE INDEX CONCURRENTLY IF NOT EXISTS chat_messages_chat_id_id_idx ON chat_messages (chat_id, id);
