-- Tenancy roots: accounts, the users who sign in to them and the agents they chat with.
-- Every foreign key column gets its own index so ON DELETE CASCADE from accounts
-- and joins back to the account do not scan the child tables.

CREATE TABLE accounts (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id   uuid        NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    email        text        NOT NULL UNIQUE,
    display_name text        NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX users_account_id_idx ON users (account_id);

CREATE TABLE agents (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id  uuid        NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name        text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX agents_account_id_idx ON agents (account_id);
