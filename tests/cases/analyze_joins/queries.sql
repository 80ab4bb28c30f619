-- name: OuterJoinsMakeTheOtherSideNullable1 :many
SELECT a.id, a.name, b.id AS book, b.title FROM authors a JOIN books b ON b.author_id = a.id;

-- name: OuterJoinsMakeTheOtherSideNullable2 :many
SELECT a.id, a.name, b.id AS book, b.title FROM authors a INNER JOIN books b ON b.author_id = a.id;

-- name: OuterJoinsMakeTheOtherSideNullable3 :many
SELECT a.id, a.name, b.id AS book, b.title FROM authors a LEFT JOIN books b ON b.author_id = a.id;

-- name: OuterJoinsMakeTheOtherSideNullable4 :many
SELECT a.id, a.name, b.id AS book, b.title FROM authors a LEFT OUTER JOIN books b ON b.author_id = a.id;

-- name: OuterJoinsMakeTheOtherSideNullable5 :many
SELECT a.id, a.name, b.id AS book, b.title FROM authors a RIGHT JOIN books b ON b.author_id = a.id;

-- name: OuterJoinsMakeTheOtherSideNullable6 :many
SELECT a.id, a.name, b.id AS book, b.title FROM authors a FULL JOIN books b ON b.author_id = a.id;

-- name: CrossJoinAndCommaJoin1 :many
SELECT a.name, b.title FROM authors a CROSS JOIN books b;

-- name: CrossJoinAndCommaJoin2 :many
SELECT a.name, b.title FROM authors a, books b;

-- name: ChainedLeftJoins :many
SELECT a.name, b.title, r.stars FROM authors a LEFT JOIN books b ON b.author_id = a.id JOIN reviews r ON r.book_id = b.id;

-- name: JoinUsingMergesTheColumn1 :many
SELECT * FROM (SELECT id AS author_id, name FROM authors) a JOIN books b USING (author_id);

-- name: JoinUsingMergesTheColumn2 :many
SELECT * FROM (SELECT id AS author_id, name FROM authors) a LEFT JOIN books b USING (author_id);

-- name: JoinUsingMergesTheColumn3 :many
SELECT * FROM (SELECT id AS author_id, name FROM authors) a RIGHT JOIN books b USING (author_id);

-- name: JoinUsingMergesTheColumn4 :many
SELECT * FROM (SELECT id AS author_id, name FROM authors) a FULL JOIN books b USING (author_id);

-- name: JoinUsingMergesTheColumn5 :many
SELECT * FROM (SELECT id AS author_id, name FROM authors) a JOIN books b USING (author_id) WHERE author_id = @a;

-- name: LeftJoinedTableStarIsNotTheModel1 :many
SELECT b.* FROM authors a LEFT JOIN books b ON b.author_id = a.id;

-- name: LeftJoinedTableStarIsNotTheModel2 :many
SELECT a.* FROM authors a LEFT JOIN books b ON b.author_id = a.id;

-- name: LateralSubquery :many
SELECT a.id, s.n FROM authors a LEFT JOIN LATERAL (SELECT count(*) AS n FROM books b WHERE b.author_id = a.id) s ON true;
