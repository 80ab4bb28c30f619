-- depends: 0001_authors
ALTER TYPE mood ADD VALUE 'ok' AFTER 'happy';

CREATE TABLE books (
    id        uuid          PRIMARY KEY DEFAULT gen_random_uuid(),
    author_id bigint        NOT NULL REFERENCES authors (id) ON DELETE CASCADE,
    title     text          NOT NULL,
    price     numeric(10,2),
    isbn      varchar(20)   UNIQUE,
    ratings   integer[],
    published date
);
CREATE INDEX books_author_id_idx ON books (author_id);

CREATE VIEW author_stats AS
SELECT a.id, a.name, count(b.id) AS books, max(b.published) AS last_published
FROM authors a
LEFT JOIN books b ON b.author_id = a.id
GROUP BY a.id, a.name;
