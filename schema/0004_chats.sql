-- Chats (conversations) between a user and an agent within an account.
-- model_config_id remembers the model last used; it is cleared if that config row
-- is ever hard-deleted (normally configs are only soft-deleted).
-- depends: 0003_chat_model_configs

CREATE TABLE chats (
    id              uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id      uuid         NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    user_id         uuid         NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    agent_id        uuid         NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    title           varchar(255) NOT NULL DEFAULT 'New Chat',
    status          text         NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
    last_active     timestamptz  NOT NULL DEFAULT now(),
    message_count   integer      NOT NULL DEFAULT 0 CHECK (message_count >= 0),
    model_config_id uuid         NULL REFERENCES chat_model_configs (id) ON DELETE SET NULL,
    created_at      timestamptz  NOT NULL DEFAULT now(),
    updated_at      timestamptz  NOT NULL DEFAULT now()
);

CREATE INDEX chats_account_id_idx ON chats (account_id);

CREATE INDEX chats_agent_id_idx ON chats (agent_id);

CREATE INDEX chats_model_config_id_idx ON chats (model_config_id);

-- Leading user_id serves the user_id foreign key; the rest serves keyset pagination
-- of a user's chats, newest first: WHERE user_id = $1 AND (last_active, id) < ($2, $3)
-- ORDER BY last_active DESC, id DESC.
CREATE INDEX chats_user_id_last_active_idx ON chats (user_id, last_active DESC, id DESC);
