CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL, at timestamp(3), n numeric(6, 2));
CREATE TABLE logs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id int NOT NULL,
    doc jsonb NOT NULL,
    total int GENERATED ALWAYS AS (item_id * 2) STORED,
    UNIQUE (item_id)
);
CREATE MATERIALIZED VIEW item_labels AS SELECT id, label FROM items;
