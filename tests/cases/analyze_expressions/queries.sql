-- name: Aggregates :many
SELECT count(*), count(price) AS c2, sum(pages) AS s, sum(price) AS sp, avg(pages) AS av, max(title) AS mx, min(published) AS mn, array_agg(title) AS titles, bool_and(pages > 100) AS all_long FROM books;

-- name: CoalesceIsNotNullIfAnyArgumentIsNotNull :many
SELECT coalesce(bio, name) AS a, coalesce(bio, 'none') AS b, coalesce(bio, NULL) AS c, coalesce(sum(pages), 0) AS d, coalesce(pages, 0) AS e FROM authors, books GROUP BY bio, name, pages;

-- name: CaseWithoutElseIsNullable :many
SELECT CASE WHEN pages > 100 THEN 'long' END AS a, CASE WHEN pages > 100 THEN 'long' ELSE 'short' END AS b, CASE pages WHEN 1 THEN title ELSE NULL END AS c, CASE WHEN pages > 1 THEN pages ELSE 1.5 END AS d FROM books;

-- name: StrictFunctionsAndOperatorsPropagateNull :many
SELECT upper(name) AS a, upper(bio) AS b, name || '!' AS c, bio || '!' AS d, concat(bio, '!') AS e, length(name) AS f, nullif(name, '') AS g, now() AS h, id + 1 AS i FROM authors;

-- name: JsonbOperatorsTypeTheirLiteralAndAreNullable1 :many
SELECT meta -> 'k' AS a, meta ->> 'k' AS b, meta @> '{}' AS c, meta #>> '{a,b}' AS d FROM authors;

-- name: JsonbOperatorsTypeTheirLiteralAndAreNullable2 :many
SELECT meta -> @key AS v FROM authors;

-- name: OperandsThatAreAllUntypedResolveLikePostgresql1 :many
SELECT id FROM authors WHERE name ILIKE '%' || @q || '%';

-- name: OperandsThatAreAllUntypedResolveLikePostgresql2 :many
SELECT @a || 'x' AS s;

-- name: FunctionArgumentsByName1 :many
SELECT make_interval(days => 2, secs => @s::float8) AS i;

-- name: FunctionArgumentsByName2 :many
SELECT make_interval(secs => @s) AS i;

-- name: FunctionArgumentsByName3 :many
SELECT make_interval(0, 0, 0, @d, secs => @s) AS i;

-- name: GroupByOutputAliasAndPosition1 :many
SELECT name AS n, count(*) FROM authors GROUP BY n ORDER BY n;

-- name: GroupByOutputAliasAndPosition2 :many
SELECT mood, count(*) FROM authors GROUP BY 1;

-- name: RollupCubeAndGroupingSetsMakeGroupedColumnsNullable1 :many
SELECT mood, name, count(*) AS n FROM authors GROUP BY ROLLUP (mood, name);

-- name: RollupCubeAndGroupingSetsMakeGroupedColumnsNullable2 :many
SELECT mood, name, count(*) AS n FROM authors GROUP BY CUBE (mood, name);

-- name: RollupCubeAndGroupingSetsMakeGroupedColumnsNullable3 :many
SELECT mood, name, count(*) AS n FROM authors GROUP BY GROUPING SETS ((mood, name), ());

-- name: WindowFunctions :many
SELECT row_number() OVER (ORDER BY id) AS n, rank() OVER w AS r, lag(title) OVER w AS prev, sum(pages) OVER (PARTITION BY author_id) AS total FROM books WINDOW w AS (ORDER BY title);

-- name: Arrays1 :many
SELECT tags, tags[1] AS first, array_length(tags, 1) AS n, ARRAY['a', 'b'] AS lit, ARRAY[id, 2] AS ids, cardinality(tags) AS c FROM authors;

-- name: Arrays2 :many
SELECT id FROM authors WHERE tags @> ARRAY[@tag] AND tags && @any;

-- name: Enums1 :many
SELECT mood, mood::text AS m, 'sad'::mood AS s FROM authors;

-- name: Enums2 :many
SELECT id FROM authors WHERE mood = @mood OR mood = ANY(@moods);
