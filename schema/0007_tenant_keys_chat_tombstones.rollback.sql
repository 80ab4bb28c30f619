-- Reverses 0007_tenant_keys_chat_tombstones. Deleted chats (tombstones) are removed
-- with the column that marks them; cross-tenant chats the forward migration deleted
-- are not brought back.

DROP TABLE chat_provider_tombstones;

DELETE FROM chats WHERE deleted_at IS NOT NULL;

ALTER TABLE chats DROP COLUMN deleted_at;

CREATE INDEX chats_agent_id_idx ON chats (agent_id);

CREATE INDEX chats_account_id_idx ON chats (account_id);

DROP INDEX chats_account_id_agent_id_idx;

DROP INDEX chats_account_id_user_id_idx;

ALTER TABLE chats DROP CONSTRAINT chats_account_id_agent_id_fkey;

ALTER TABLE chats DROP CONSTRAINT chats_account_id_user_id_fkey;

ALTER TABLE chats
    ADD CONSTRAINT chats_agent_id_fkey
    FOREIGN KEY (agent_id) REFERENCES agents (id) ON DELETE CASCADE;

ALTER TABLE chats
    ADD CONSTRAINT chats_user_id_fkey
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;

ALTER TABLE agents DROP CONSTRAINT agents_account_id_id_key;

ALTER TABLE users DROP CONSTRAINT users_account_id_id_key;
