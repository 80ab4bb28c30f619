-- name: InsertReturningStarAndParamsFromColumns :one
INSERT INTO authors (name, bio, mood, tags, meta) VALUES (@name, @bio, @mood, @tags, @meta) RETURNING *;

-- name: InsertWithoutColumnListAndMultipleRows1 :exec
INSERT INTO reviews OVERRIDING SYSTEM VALUE VALUES (@id, @book, @stars, @body);

-- name: InsertWithoutColumnListAndMultipleRows2 :exec
INSERT INTO reviews (book_id, stars) VALUES (@a, 1), (@b, @s);

-- name: NargMakesANotNullColumnParameterNullableAndArgTheReverse1 :many
INSERT INTO authors (name, bio) VALUES (sqlc.narg('name'), sqlc.arg('bio')) RETURNING id;

-- name: NargMakesANotNullColumnParameterNullableAndArgTheReverse2 :many
SELECT id FROM authors WHERE bio = @bio OR name = sqlc.narg('n');

-- name: ParamsInComparisonsTakeTheColumnType :many
SELECT id FROM books WHERE author_id = @author AND price > @min_price AND @max_pages >= pages AND title LIKE @pattern AND published BETWEEN @from AND @to;

-- name: RowComparisonTypesEachElement1 :many
SELECT id FROM books WHERE author_id = @a AND (published, id) < (@published, @id) ORDER BY published DESC, id DESC;

-- name: RowComparisonTypesEachElement2 :many
SELECT id FROM books WHERE (author_id, title) = (@author, @title);

-- name: RowInSubqueryTypesEachElement :many
SELECT id FROM books WHERE (author_id, title) IN (SELECT id, name FROM authors WHERE id > @min);

-- name: UpdateReturning :one
UPDATE books SET title = @title, price = @price, pages = pages + 1 WHERE id = @id RETURNING id, price, pages;

-- name: UpdateFromAndDeleteUsing1 :exec
UPDATE books SET price = @price FROM authors a WHERE a.id = books.author_id AND a.name = @author;

-- name: UpdateFromAndDeleteUsing2 :many
DELETE FROM books USING authors a WHERE a.id = books.author_id AND a.mood = @mood RETURNING books.*;

-- name: ExecStatementsReturnNoColumns1 :execrows
DELETE FROM books WHERE id = @id;

-- name: ExecStatementsReturnNoColumns2 :exec
UPDATE authors SET bio = NULL;

-- name: OnConflictDoUpdateWithExcluded :one
INSERT INTO authors (id, name, bio) VALUES (@id, @name, @bio) ON CONFLICT (id) DO UPDATE SET name = excluded.name || @suffix, bio = coalesce(excluded.bio, authors.bio) WHERE authors.mood <> @keep RETURNING *;

-- name: OnConflictDoNothing :one
INSERT INTO authors (name) VALUES (@name) ON CONFLICT DO NOTHING RETURNING id;

-- name: ForUpdateAndLockingClauses1 :one
SELECT * FROM books WHERE id = @id FOR UPDATE;

-- name: ForUpdateAndLockingClauses2 :one
SELECT * FROM books WHERE id = @id FOR SHARE;

-- name: ForUpdateAndLockingClauses3 :one
SELECT * FROM books WHERE id = @id FOR UPDATE SKIP LOCKED;

-- name: ForUpdateAndLockingClauses4 :one
SELECT * FROM books WHERE id = @id FOR NO KEY UPDATE NOWAIT;

-- name: LimitAndOffsetParamsAreInt8 :many
SELECT id FROM books ORDER BY id LIMIT @n OFFSET @skip;

-- name: AnyWithACastArrayParameter1 :many
SELECT id FROM books WHERE id = ANY(@ids::uuid[]);

-- name: AnyWithACastArrayParameter2 :many
SELECT id FROM books WHERE author_id <> ALL(@ids);

-- name: SqlcSlice1 :many
SELECT id FROM books WHERE author_id IN (sqlc.slice(ids)) AND title = @t;

-- name: SqlcSlice2 :many
SELECT id FROM books WHERE author_id NOT IN (sqlc.slice(ids));

-- name: SqlcEmbed :many
SELECT sqlc.embed(b), sqlc.embed(a), r.stars FROM books b JOIN authors a ON a.id = b.author_id JOIN reviews r ON r.book_id = b.id;

-- name: CopyfromColumnsInParameterOrder :copyfrom
INSERT INTO books (title, author_id, price) VALUES (@title, @author_id, @price);

-- name: PositionalParamsTakeNamesFromTheirColumns :many
SELECT id FROM books WHERE author_id = $1 AND title = $2 LIMIT $3;

-- name: CastParamsAndDefault :many
INSERT INTO authors (name, mood, born) VALUES (@name::text, DEFAULT, @born::date) RETURNING id;
