CREATE TABLE orders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    placed_at timestamptz NOT NULL DEFAULT now(),
    -- timestamptz to date is a STABLE cast (the day depends on the session's time zone):
    -- PostgreSQL refuses the column.
    placed_on date GENERATED ALWAYS AS (placed_at::date) STORED
);
