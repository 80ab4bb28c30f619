-- Model configurations offered to users, one row per (provider, model) setup.
-- Rows are soft-deleted (deleted / deleted_at) so historical chats and messages
-- that reference them keep resolving.
--
-- Deliberately NO foreign key from provider to chat_providers (provider):
-- deleting a provider hard-deletes the chat_providers row but only soft-deletes
-- its model configs, which must stay behind for the chats that used them.
-- A foreign key would either block the provider delete or (with CASCADE) destroy
-- that history. The application checks the provider exists (SELECT ... FOR UPDATE
-- on chat_providers) when a config is created or updated instead.
--
-- Column order matters: queries select * from this table.
-- depends: 0002_chat_providers

CREATE TABLE chat_model_configs (
    id                    uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    provider              text        NOT NULL,
    model                 text        NOT NULL,
    display_name          text        NOT NULL,
    created_by            uuid        NULL REFERENCES users (id) ON DELETE SET NULL,
    updated_by            uuid        NULL REFERENCES users (id) ON DELETE SET NULL,
    enabled               boolean     NOT NULL DEFAULT true,
    is_default            boolean     NOT NULL DEFAULT false,
    context_limit         bigint      NOT NULL CHECK (context_limit > 0),
    compression_threshold integer     NOT NULL CHECK (compression_threshold BETWEEN 0 AND 100),
    options               jsonb       NOT NULL DEFAULT '{}'::jsonb,
    deleted               boolean     NOT NULL DEFAULT false,
    deleted_at            timestamptz NULL,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    -- deleted_at is set exactly when the row is soft-deleted.
    CONSTRAINT chat_model_configs_deleted_at_check CHECK (deleted = (deleted_at IS NOT NULL))
);

-- At most one live default. Every row the index covers has the same key (1), so a
-- second live default collides; soft-deleted defaults are outside the index.
CREATE UNIQUE INDEX chat_model_configs_one_default
    ON chat_model_configs ((1))
    WHERE is_default AND NOT deleted;

-- Serves DeleteChatModelConfigsByProvider and the join to chat_providers.
CREATE INDEX chat_model_configs_provider_idx ON chat_model_configs (provider);

-- Foreign key columns: ON DELETE SET NULL from users must not scan the table.
CREATE INDEX chat_model_configs_created_by_idx ON chat_model_configs (created_by);

CREATE INDEX chat_model_configs_updated_by_idx ON chat_model_configs (updated_by);
