-- LLM providers an administrator has configured (e.g. 'openai', 'anthropic').
-- Providers are hard-deleted; see 0003 for what happens to their model configs.
-- depends: 0001_accounts_users_agents

CREATE TABLE chat_providers (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    provider     text        NOT NULL UNIQUE CHECK (provider <> ''),
    display_name text        NOT NULL,
    enabled      boolean     NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
