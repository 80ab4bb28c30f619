-- depends: 0002_books
-- Names that collide with Python, with each other or with the generated code.
CREATE TYPE label AS ENUM ('in progress', 'in-progress', '1st', '');

CREATE TABLE odd_names (
    id      serial PRIMARY KEY,
    label   label NOT NULL DEFAULT '',
    "row"   integer,
    "rows"  integer,
    value   text,
    status  text,
    "count" integer,
    class   text
);
