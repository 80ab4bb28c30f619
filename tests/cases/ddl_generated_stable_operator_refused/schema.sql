CREATE TABLE sessions (
    id int PRIMARY KEY,
    started_at timestamptz NOT NULL,
    -- timestamptz + interval is STABLE (a day's length depends on the time zone)
    expires_at timestamptz GENERATED ALWAYS AS (started_at + interval '1 day') STORED
);
