CREATE TABLE authors (
  id   BIGSERIAL PRIMARY KEY,
  name text      NOT NULL,
  bio  text
);

-- name: GetAuthor :one
SELECT * FROM authors WHERE id = $1;

CREATE TABLE books (id bigserial PRIMARY KEY, author_id bigint NOT NULL REFERENCES authors (id), title text NOT NULL);
CREATE INDEX books_author_idx ON books (author_id);

-- name: BooksBy :many
SELECT title FROM books WHERE author_id = @author_id;
