-- name: SubqueryInFrom1 :many
SELECT s.n, s.b FROM (SELECT name AS n, bio AS b FROM authors) AS s;

-- name: SubqueryInFrom2 :many
SELECT * FROM (SELECT * FROM authors WHERE id > 1) s;

-- name: ScalarSubqueriesAreNullable :many
SELECT (SELECT count(*) FROM books WHERE author_id = a.id) AS n, (SELECT max(title) FROM books WHERE author_id = a.id) AS m, (SELECT title FROM books LIMIT 1) AS t, ARRAY(SELECT title FROM books) AS ts FROM authors a;

-- name: ExistsAndInSubqueries1 :many
SELECT EXISTS (SELECT 1 FROM books b WHERE b.author_id = a.id) AS has_books, a.id IN (SELECT author_id FROM books) AS listed FROM authors a;

-- name: ExistsAndInSubqueries2 :many
SELECT id FROM authors WHERE id IN (SELECT author_id FROM books WHERE price > @p);

-- name: Cte :many
WITH prolific AS (SELECT author_id, count(*) AS n FROM books GROUP BY author_id) SELECT a.name, p.n FROM authors a JOIN prolific p ON p.author_id = a.id WHERE p.n > @min;

-- name: DataModifyingCte :many
WITH gone AS (DELETE FROM books WHERE author_id = @author_id RETURNING *) INSERT INTO reviews (book_id, stars, body) SELECT id, @stars, title FROM gone RETURNING id, body;

-- name: UpdateCteThenSelect :many
WITH u AS (UPDATE authors SET bio = @bio WHERE id = @id RETURNING id, bio) SELECT * FROM u;

-- name: RecursiveCte :many
WITH RECURSIVE n(i, label) AS (  SELECT 1, 'start'::text UNION ALL SELECT i + 1, NULL FROM n WHERE i < @max) SELECT i, label FROM n;

-- name: UnionIntersectExcept1 :many
SELECT id, name FROM authors UNION SELECT author_id, title FROM books;

-- name: UnionIntersectExcept2 :many
SELECT pages FROM books UNION ALL SELECT id FROM authors;

-- name: UnionIntersectExcept3 :many
SELECT name, NULL AS x FROM authors EXCEPT SELECT title, 'y' FROM books;

-- name: UnionIntersectExcept4 :many
SELECT 1 AS n INTERSECT SELECT NULL;

-- name: ValuesList :many
SELECT * FROM (VALUES (1, 'a'), (2.5, NULL)) AS v(n, s);
