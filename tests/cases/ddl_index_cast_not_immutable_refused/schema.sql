CREATE TYPE job_state AS ENUM ('queued', 'running', 'done');
CREATE TABLE jobs (
    id int PRIMARY KEY,
    state job_state NOT NULL
);
-- An enum's text goes through enum_out, which is STABLE: PostgreSQL refuses the index.
CREATE INDEX jobs_state_text ON jobs ((state::text));
