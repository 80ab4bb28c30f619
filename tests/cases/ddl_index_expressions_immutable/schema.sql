CREATE TABLE accounts (
    id int PRIMARY KEY,
    email text NOT NULL,
    doc jsonb NOT NULL DEFAULT '{}',
    status text NOT NULL,
    seen timestamp,
    deleted_at timestamptz,
    expires_at timestamptz
);
CREATE UNIQUE INDEX accounts_email_lower ON accounts (lower(email)) WHERE deleted_at IS NULL;
CREATE INDEX accounts_doc_kind ON accounts ((doc ->> 'kind'), status) WHERE status IN ('active', 'pending');
CREATE INDEX accounts_seen_day ON accounts (date_trunc('day', seen));
CREATE INDEX accounts_search ON accounts USING gin (to_tsvector('english', email));
CREATE INDEX accounts_expiring ON accounts (expires_at) WHERE expires_at IS NOT NULL AND coalesce(status, '') <> 'closed';
-- casts that call only immutable code: timestamp to date, int to text, text to varchar
CREATE INDEX accounts_seen_on ON accounts ((seen::date));
CREATE INDEX accounts_id_text ON accounts ((id::text), (email::varchar(64)));
