CREATE TYPE mood AS ENUM ('happy', 'ok', 'sad');

CREATE TABLE authors (
    id      bigserial PRIMARY KEY,
    name    text NOT NULL,
    bio     text,
    mood    mood NOT NULL DEFAULT 'ok',
    tags    text[] NOT NULL DEFAULT '{}',
    meta    jsonb,
    born    date
);

CREATE TABLE books (
    id        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    author_id bigint NOT NULL REFERENCES authors (id),
    title     text NOT NULL,
    price     numeric(10, 2),
    pages     smallint,
    published timestamptz
);

CREATE TABLE reviews (
    id      integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    book_id uuid NOT NULL REFERENCES books (id),
    stars   integer NOT NULL,
    body    text
);

CREATE VIEW author_book_counts AS
SELECT a.id, a.name, count(b.id) AS books
FROM authors a LEFT JOIN books b ON b.author_id = a.id
GROUP BY a.id, a.name;
