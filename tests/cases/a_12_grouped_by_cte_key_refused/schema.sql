CREATE TABLE items (
    id int PRIMARY KEY,
    label text NOT NULL,
    at timestamp(3),
    n numeric(6, 2),
    tags text[] NOT NULL DEFAULT '{}'
);
CREATE TABLE logs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id int NOT NULL REFERENCES items (id),
    doc jsonb NOT NULL,
    note text,
    UNIQUE (item_id)
);
