CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, name text, meta jsonb NOT NULL DEFAULT '{}', created_at timestamptz NOT NULL DEFAULT now(), tags text[] NOT NULL DEFAULT '{}', score numeric(10,2));
CREATE TABLE posts (id bigserial PRIMARY KEY, user_id bigint NOT NULL REFERENCES users(id), title text NOT NULL, body text, tsv tsvector, published_at timestamptz);
