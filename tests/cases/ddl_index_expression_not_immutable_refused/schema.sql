CREATE TABLE events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
-- date_trunc(text, timestamptz) is STABLE (the day starts at the session's time zone):
-- PostgreSQL refuses the index.
CREATE INDEX events_day ON events (date_trunc('day', created_at), kind);
