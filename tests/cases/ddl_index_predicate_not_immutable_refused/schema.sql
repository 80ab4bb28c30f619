CREATE TABLE sessions (
    id uuid PRIMARY KEY,
    user_id int NOT NULL,
    expires_at timestamptz NOT NULL
);
-- now() in a partial index's predicate: PostgreSQL refuses it.
CREATE INDEX sessions_live ON sessions (user_id) WHERE expires_at > now();
