-- Tenant isolation, deleted chats that stay deleted, and provider tombstones.
--
-- 1. A chat's user and agent belong to the chat's account, enforced by the schema:
--    users and agents get a unique key (account_id, id), and chats reference them by
--    (account_id, user_id) and (account_id, agent_id) instead of the bare ids. A chat
--    stamped with one account but another account's user or agent cannot be stored.
--    Chats that already mix accounts were made through the cross-tenant hole this
--    closes; they are deleted (with their messages) before the keys are added.
-- 2. chats.deleted_at: a deleted chat keeps its row as a tombstone (its messages are
--    deleted and its title erased), so a late retry of a send cannot re-create it: the
--    id stays taken.
-- 3. chat_provider_tombstones: a provider row is hard-deleted (seed 000); its name is
--    remembered here so that a retried delete can report "already deleted".
--
-- One transaction; the LOCK keeps new chats out between the DELETE and the new keys.
-- depends: 0006_chat_messages_chat_fk

LOCK TABLE chats, users, agents IN SHARE ROW EXCLUSIVE MODE;

DELETE FROM chats c
WHERE NOT EXISTS (
        SELECT 1 FROM users u WHERE u.id = c.user_id AND u.account_id = c.account_id
    )
    OR NOT EXISTS (
        SELECT 1 FROM agents a WHERE a.id = c.agent_id AND a.account_id = c.account_id
    );

ALTER TABLE users ADD CONSTRAINT users_account_id_id_key UNIQUE (account_id, id);

ALTER TABLE agents ADD CONSTRAINT agents_account_id_id_key UNIQUE (account_id, id);

ALTER TABLE chats DROP CONSTRAINT chats_user_id_fkey;

ALTER TABLE chats DROP CONSTRAINT chats_agent_id_fkey;

ALTER TABLE chats
    ADD CONSTRAINT chats_account_id_user_id_fkey
    FOREIGN KEY (account_id, user_id) REFERENCES users (account_id, id) ON DELETE CASCADE;

ALTER TABLE chats
    ADD CONSTRAINT chats_account_id_agent_id_fkey
    FOREIGN KEY (account_id, agent_id) REFERENCES agents (account_id, id) ON DELETE CASCADE;

-- The new keys' lookups (cascading deletes of users and agents) use these; the old
-- single-column indexes are covered by them and go.
CREATE INDEX chats_account_id_user_id_idx ON chats (account_id, user_id);

CREATE INDEX chats_account_id_agent_id_idx ON chats (account_id, agent_id);

DROP INDEX chats_account_id_idx;

DROP INDEX chats_agent_id_idx;

ALTER TABLE chats ADD COLUMN deleted_at timestamptz NULL;

CREATE TABLE chat_provider_tombstones (
    provider   text        PRIMARY KEY,
    deleted_at timestamptz NOT NULL DEFAULT now()
);
