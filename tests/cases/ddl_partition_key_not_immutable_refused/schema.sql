CREATE TABLE measurements (
    sensor_id int NOT NULL,
    taken_at timestamptz NOT NULL,
    value double precision
) PARTITION BY RANGE (date_trunc('month', taken_at));
