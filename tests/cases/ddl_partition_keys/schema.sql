CREATE TABLE events (
    id bigint NOT NULL,
    tenant text NOT NULL,
    at timestamp NOT NULL,
    payload jsonb
) PARTITION BY RANGE (date_trunc('month', at));
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE logs (
    id bigint NOT NULL,
    tenant text NOT NULL,
    line text
) PARTITION BY LIST (lower(tenant));
CREATE TABLE logs_a PARTITION OF logs FOR VALUES IN ('a');
CREATE TABLE hits (id bigint NOT NULL, n int) PARTITION BY HASH (id);
