-- Bulk load through COPY.
-- name: CopyBooks :copyfrom
INSERT INTO books (author_id, title, price, isbn, ratings)
VALUES (@author_id, @title, @price, @isbn, @ratings);

-- name: CreateBooks :batchexec
INSERT INTO books (author_id, title, price) VALUES (@author_id, @title, sqlc.narg('price'));

-- name: BooksByAuthor :batchmany
SELECT * FROM books WHERE author_id = @author_id ORDER BY title;

-- name: BooksWithAuthors :many
SELECT sqlc.embed(b), sqlc.embed(a)
FROM books b
JOIN authors a ON a.id = b.author_id
ORDER BY b.title;

-- name: BooksWithAuthorName :many
SELECT b.title, a.name AS author, b.price
FROM books b
LEFT JOIN authors a ON a.id = b.author_id
WHERE b.published IS NULL OR b.published >= @since
ORDER BY b.title;

-- name: UpsertBookPrice :one
INSERT INTO books (author_id, title, isbn, price)
VALUES (@author_id, @title, @isbn, @price)
ON CONFLICT (isbn) DO UPDATE SET price = excluded.price
RETURNING id, price;

-- A nested row whose construction does not fit on one line.
-- name: BookWithAuthorByIsbnForTheLongestFunctionName :one
SELECT sqlc.embed(b), sqlc.embed(a), b.title AS book_title_repeated_for_width
FROM books b
JOIN authors a ON a.id = b.author_id
WHERE b.isbn = @isbn;

-- name: BooksWithAuthorsAndARatherLongTitleColumnAlias :many
SELECT sqlc.embed(b), sqlc.embed(a), b.title AS book_title_repeated_for_width_and_more
FROM books b
JOIN authors a ON a.id = b.author_id
ORDER BY b.title;
