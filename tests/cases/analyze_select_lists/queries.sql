-- name: SelectStarIsTheTableAndItsModel :many
SELECT * FROM authors;

-- name: QualifiedStarWithAlias :many
SELECT b.* FROM books b JOIN authors a ON a.id = b.author_id;

-- name: StarOverAJoinIsEveryColumnAndNoModel :many
SELECT * FROM books b JOIN authors a ON a.id = b.author_id;

-- name: ExplicitColumnsAliasesAndCasts :many
SELECT id, name AS author, bio b, id::text, CAST(born AS timestamp) AS t, born::text AS born_text, 1 AS one, 'x' AS x, 1.5 AS f, true AS yes FROM authors;

-- name: UnaliasedExpressionNamesFollowPostgresql :many
SELECT count(*) OVER (), upper(name), coalesce(bio, ''), CASE WHEN bio IS NULL THEN 1 END, id + 1, EXISTS (SELECT 1), ARRAY[1], greatest(1, 2), current_date, tags[1] FROM authors;

-- name: ViewsAreTablesWithTheirOwnModel :many
SELECT * FROM author_book_counts WHERE name = @name;
