-- Generated columns as real projects write them: each calls only immutable functions
-- and operators (a literal cast to an enum is folded to a constant, no call is left).
CREATE TYPE job_status AS ENUM ('pending', 'running', 'succeeded', 'canceling', 'canceled', 'failed');
CREATE TABLE jobs (
    id uuid PRIMARY KEY,
    started_at timestamptz,
    canceled_at timestamptz,
    completed_at timestamptz,
    error text NOT NULL DEFAULT '',
    status job_status GENERATED ALWAYS AS (
CASE
    WHEN (completed_at IS NOT NULL) THEN
    CASE
        WHEN (error <> ''::text) THEN 'failed'::job_status
        WHEN (canceled_at IS NOT NULL) THEN 'canceled'::job_status
        ELSE 'succeeded'::job_status
    END
    WHEN (canceled_at IS NOT NULL) THEN 'canceling'::job_status
    WHEN (started_at IS NULL) THEN 'pending'::job_status
    ELSE 'running'::job_status
END) STORED NOT NULL
);
CREATE TABLE interceptions (
    id uuid NOT NULL PRIMARY KEY,
    thread_root_id uuid,
    client_session_id character varying(256),
    session_id text GENERATED ALWAYS AS (COALESCE(client_session_id, ((thread_root_id)::text)::character varying, ((id)::text)::character varying)) STORED NOT NULL
);
CREATE TABLE ledger (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    amount_gross numeric(15, 2) NOT NULL,
    fees numeric(15, 2) DEFAULT 0,
    amount_net numeric(15, 2) GENERATED ALWAYS AS (amount_gross - COALESCE(fees, 0)) STORED,
    quantity integer NOT NULL CHECK (quantity > 0),
    unit_price_cents integer NOT NULL,
    line_total_cents integer GENERATED ALWAYS AS (quantity * unit_price_cents) STORED,
    slot_fraction numeric NOT NULL DEFAULT 1,
    gis_origin jsonb NOT NULL DEFAULT '{}',
    lat double precision GENERATED ALWAYS AS ((gis_origin ->> 'latitude')::double precision) STORED,
    header text,
    body text
);
ALTER TABLE ledger
  ADD COLUMN IF NOT EXISTS slot_quarters smallint
  GENERATED ALWAYS AS (
    CASE slot_fraction WHEN 1 THEN 4 WHEN 0.5 THEN 2 WHEN 0.25 THEN 1 ELSE 4 END
  ) STORED;
ALTER TABLE ledger ADD COLUMN fts tsvector GENERATED ALWAYS AS (to_tsvector('simple', coalesce(header, '') || ' ' || coalesce(body, ''))) STORED;
