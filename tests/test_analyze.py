"""Stage 3 (codegen.analyze): parameter and column types and nullability, without a server.

Every query here is also valid PostgreSQL against SCHEMA (test_verify.py has the server
check for the project's own queries); the expectations are what PostgreSQL reports for
types, and what the SQL guarantees for nullability.
"""

from __future__ import annotations

import pytest

from codegen import analyze, catalog, parse
from codegen.analyze import Analysis
from codegen.errors import CodegenError

SCHEMA = """
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
"""

CATALOG = catalog.build([("schema/0001_init.sql", SCHEMA)], analyze.view_columns)

Cols = list[tuple[str, str, bool]]
Params = list[tuple[str, str, bool]]


def run(sql: str, command: str = "many") -> Analysis:
    queries = parse.parse_file("queries/q.sql", f"-- name: Q :{command}\n{sql};\n")
    return analyze.analyze(queries[0], CATALOG)


def cols(sql: str, command: str = "many") -> Cols:
    return [(c.name, c.type, c.nullable) for c in run(sql, command).columns]


def params(sql: str, command: str = "many") -> Params:
    return [(p.name, p.type, p.nullable) for p in run(sql, command).params]


AUTHOR: Cols = [
    ("id", "int8", False),
    ("name", "text", False),
    ("bio", "text", True),
    ("mood", "mood", False),
    ("tags", "_text", False),
    ("meta", "jsonb", True),
    ("born", "date", True),
]
BOOK: Cols = [
    ("id", "uuid", False),
    ("author_id", "int8", False),
    ("title", "text", False),
    ("price", "numeric", True),
    ("pages", "int2", True),
    ("published", "timestamptz", True),
]


def nullable(columns: Cols) -> Cols:
    return [(n, t, True) for n, t, _ in columns]


# -- select lists ----------------------------------------------------------------------


def test_select_star_is_the_table_and_its_model() -> None:
    a = run("SELECT * FROM authors")
    assert [(c.name, c.type, c.nullable) for c in a.columns] == AUTHOR
    assert a.model == "authors"
    assert all(c.origin == ("authors", c.name) for c in a.columns)
    assert a.statement == "select"


def test_qualified_star_with_alias() -> None:
    a = run("SELECT b.* FROM books b JOIN authors a ON a.id = b.author_id")
    assert [(c.name, c.type, c.nullable) for c in a.columns] == BOOK
    assert a.model == "books"


def test_star_over_a_join_is_every_column_and_no_model() -> None:
    a = run("SELECT * FROM books b JOIN authors a ON a.id = b.author_id")
    assert [(c.name, c.type, c.nullable) for c in a.columns] == [
        *BOOK,
        ("id", "int8", False),
        *AUTHOR[1:],
    ]
    assert a.model is None


def test_explicit_columns_aliases_and_casts() -> None:
    assert cols(
        "SELECT id, name AS author, bio b, id::text, CAST(born AS timestamp) AS t, "
        "born::text AS born_text, 1 AS one, 'x' AS x, 1.5 AS f, true AS yes FROM authors"
    ) == [
        ("id", "int8", False),
        ("author", "text", False),
        ("b", "text", True),
        ("id", "text", False),
        ("t", "timestamp", True),
        ("born_text", "text", True),
        ("one", "int4", False),
        ("x", "text", False),
        ("f", "numeric", False),
        ("yes", "bool", False),
    ]


def test_some_columns_of_a_table_are_not_its_model() -> None:
    assert run("SELECT id, name FROM authors").model is None
    # Same columns in another order are not the model either.
    assert run("SELECT name, id, bio, mood, tags, meta, born FROM authors").model is None


def test_columns_in_table_order_are_the_model() -> None:
    assert run("SELECT id, name, bio, mood, tags, meta, born FROM authors").model == "authors"


def test_unaliased_expression_names_follow_postgresql() -> None:
    assert [
        c.name
        for c in run(
            "SELECT count(*) OVER (), upper(name), coalesce(bio, ''), "
            "CASE WHEN bio IS NULL THEN 1 END, id + 1, EXISTS (SELECT 1), "
            "ARRAY[1], greatest(1, 2), current_date, tags[1] FROM authors"
        ).columns
    ] == [
        "count",
        "upper",
        "coalesce",
        "case",
        "?column?",
        "exists",
        "array",
        "greatest",
        "current_date",
        "tags",
    ]


# -- functions, aggregates, expressions ------------------------------------------------


def test_aggregates() -> None:
    assert cols(
        "SELECT count(*), count(price) AS c2, sum(pages) AS s, sum(price) AS sp, "
        "avg(pages) AS av, max(title) AS mx, min(published) AS mn, "
        "array_agg(title) AS titles, bool_and(pages > 100) AS all_long FROM books"
    ) == [
        ("count", "int8", False),
        ("c2", "int8", False),
        ("s", "int8", True),
        ("sp", "numeric", True),
        ("av", "numeric", True),
        ("mx", "text", True),
        ("mn", "timestamptz", True),
        ("titles", "_text", True),
        ("all_long", "bool", True),
    ]


def test_aggregate_without_group_by_is_always_one_row() -> None:
    assert run("SELECT count(*) FROM books", "one").always_one_row
    assert run("SELECT max(price) FROM books", "one").always_one_row
    assert not run("SELECT count(*) FROM books GROUP BY author_id", "one").always_one_row
    assert not run("SELECT title FROM books", "one").always_one_row


def test_coalesce_is_not_null_if_any_argument_is_not_null() -> None:
    assert cols(
        "SELECT coalesce(bio, name) AS a, coalesce(bio, 'none') AS b, "
        "coalesce(bio, NULL) AS c, coalesce(sum(pages), 0) AS d, "
        "coalesce(pages, 0) AS e FROM authors, books GROUP BY bio, name, pages"
    ) == [
        ("a", "text", False),
        ("b", "text", False),
        ("c", "text", True),
        ("d", "int8", False),
        ("e", "int4", False),  # int2 and int4 resolve to int4, as on the server
    ]


def test_case_without_else_is_nullable() -> None:
    assert cols(
        "SELECT CASE WHEN pages > 100 THEN 'long' END AS a, "
        "CASE WHEN pages > 100 THEN 'long' ELSE 'short' END AS b, "
        "CASE pages WHEN 1 THEN title ELSE NULL END AS c, "
        "CASE WHEN pages > 1 THEN pages ELSE 1.5 END AS d FROM books"
    ) == [
        ("a", "text", True),
        ("b", "text", False),
        ("c", "text", True),
        ("d", "numeric", True),
    ]


def test_strict_functions_and_operators_propagate_null() -> None:
    assert cols(
        "SELECT upper(name) AS a, upper(bio) AS b, name || '!' AS c, bio || '!' AS d, "
        "concat(bio, '!') AS e, length(name) AS f, nullif(name, '') AS g, "
        "now() AS h, id + 1 AS i FROM authors"
    ) == [
        ("a", "text", False),
        ("b", "text", True),
        ("c", "text", False),
        ("d", "text", True),
        ("e", "text", False),
        ("f", "int4", False),
        ("g", "text", True),
        ("h", "timestamptz", False),
        ("i", "int8", False),
    ]


def test_jsonb_operators_type_their_literal_and_are_nullable() -> None:
    assert cols(
        "SELECT meta -> 'k' AS a, meta ->> 'k' AS b, meta @> '{}' AS c, "
        "meta #>> '{a,b}' AS d FROM authors"
    ) == [
        ("a", "jsonb", True),
        ("b", "text", True),
        ("c", "bool", True),
        ("d", "text", True),
    ]
    assert params("SELECT meta -> @key AS v FROM authors") == [("key", "text", False)]


def test_operands_that_are_all_untyped_resolve_like_postgresql() -> None:
    # unknown || unknown is text || text: the string category wins.
    assert params("SELECT id FROM authors WHERE name ILIKE '%' || @q || '%'") == [
        ("q", "text", False)
    ]
    assert cols("SELECT @a || 'x' AS s") == [("s", "text", False)]
    assert params("SELECT @a || 'x' AS s") == [("a", "text", False)]


def test_function_arguments_by_name() -> None:
    assert cols("SELECT make_interval(days => 2, secs => @s::float8) AS i") == [
        ("i", "interval", False)
    ]
    # the argument's name picks its declared type (proargnames): secs is float8
    assert params("SELECT make_interval(secs => @s) AS i") == [("s", "float8", False)]
    assert params("SELECT make_interval(0, 0, 0, @d, secs => @s) AS i") == [
        ("d", "int4", False),
        ("s", "float8", False),
    ]
    with pytest.raises(CodegenError, match=r"function round\(x => numeric\) does not exist"):
        run("SELECT round(x => 1.5) AS r")


def test_group_by_output_alias_and_position() -> None:
    assert cols("SELECT name AS n, count(*) FROM authors GROUP BY n ORDER BY n") == [
        ("n", "text", False),
        ("count", "int8", False),
    ]
    assert cols("SELECT mood, count(*) FROM authors GROUP BY 1") == [
        ("mood", "mood", False),
        ("count", "int8", False),
    ]


def test_rollup_cube_and_grouping_sets_make_grouped_columns_nullable() -> None:
    for grouping in (
        "ROLLUP (mood, name)",
        "CUBE (mood, name)",
        "GROUPING SETS ((mood, name), ())",
    ):
        assert cols(f"SELECT mood, name, count(*) AS n FROM authors GROUP BY {grouping}") == [
            ("mood", "mood", True),
            ("name", "text", True),
            ("n", "int8", False),
        ], grouping


def test_window_functions() -> None:
    assert cols(
        "SELECT row_number() OVER (ORDER BY id) AS n, rank() OVER w AS r, "
        "lag(title) OVER w AS prev, sum(pages) OVER (PARTITION BY author_id) AS total "
        "FROM books WINDOW w AS (ORDER BY title)"
    ) == [
        ("n", "int8", False),
        ("r", "int8", False),
        ("prev", "text", True),
        ("total", "int8", True),
    ]


def test_arrays() -> None:
    assert cols(
        "SELECT tags, tags[1] AS first, array_length(tags, 1) AS n, "
        "ARRAY['a', 'b'] AS lit, ARRAY[id, 2] AS ids, cardinality(tags) AS c FROM authors"
    ) == [
        ("tags", "_text", False),
        ("first", "text", True),
        ("n", "int4", True),
        ("lit", "_text", False),
        ("ids", "_int8", False),
        ("c", "int4", False),
    ]
    assert params("SELECT id FROM authors WHERE tags @> ARRAY[@tag] AND tags && @any") == [
        ("tag", "text", False),
        ("any", "_text", False),
    ]


def test_enums() -> None:
    assert cols("SELECT mood, mood::text AS m, 'sad'::mood AS s FROM authors") == [
        ("mood", "mood", False),
        ("m", "text", False),
        ("s", "mood", False),
    ]
    assert params("SELECT id FROM authors WHERE mood = @mood OR mood = ANY(@moods)") == [
        ("mood", "mood", False),
        ("moods", "_mood", False),
    ]


def test_views_are_tables_with_their_own_model() -> None:
    a = run("SELECT * FROM author_book_counts WHERE name = @name")
    assert [(c.name, c.type, c.nullable) for c in a.columns] == [
        ("id", "int8", False),
        ("name", "text", False),
        ("books", "int8", False),
    ]
    assert a.model == "author_book_counts"
    assert [(p.name, p.type) for p in a.params] == [("name", "text")]


# -- joins -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("join", "left_null", "right_null"),
    [
        ("JOIN", False, False),
        ("INNER JOIN", False, False),
        ("LEFT JOIN", False, True),
        ("LEFT OUTER JOIN", False, True),
        ("RIGHT JOIN", True, False),
        ("FULL JOIN", True, True),
    ],
)
def test_outer_joins_make_the_other_side_nullable(
    join: str, left_null: bool, right_null: bool
) -> None:
    assert cols(
        f"SELECT a.id, a.name, b.id AS book, b.title FROM authors a {join} books b "
        "ON b.author_id = a.id"
    ) == [
        ("id", "int8", left_null),
        ("name", "text", left_null),
        ("book", "uuid", right_null),
        ("title", "text", right_null),
    ]


def test_cross_join_and_comma_join() -> None:
    assert cols("SELECT a.name, b.title FROM authors a CROSS JOIN books b") == [
        ("name", "text", False),
        ("title", "text", False),
    ]
    assert cols("SELECT a.name, b.title FROM authors a, books b") == [
        ("name", "text", False),
        ("title", "text", False),
    ]


def test_chained_left_joins() -> None:
    assert cols(
        "SELECT a.name, b.title, r.stars FROM authors a "
        "LEFT JOIN books b ON b.author_id = a.id "
        "JOIN reviews r ON r.book_id = b.id"
    ) == [("name", "text", False), ("title", "text", True), ("stars", "int4", False)]


def test_join_using_merges_the_column() -> None:
    sql = "SELECT * FROM (SELECT id AS author_id, name FROM authors) a {} books b USING (author_id)"
    assert cols(sql.format("JOIN"))[:3] == [
        ("author_id", "int8", False),
        ("name", "text", False),
        ("id", "uuid", False),
    ]
    assert cols(sql.format("LEFT JOIN"))[:3] == [
        ("author_id", "int8", False),
        ("name", "text", False),
        ("id", "uuid", True),
    ]
    assert cols(sql.format("RIGHT JOIN"))[:3] == [
        ("author_id", "int8", False),
        ("name", "text", True),
        ("id", "uuid", False),
    ]
    assert cols(sql.format("FULL JOIN"))[:3] == [
        ("author_id", "int8", True),
        ("name", "text", True),
        ("id", "uuid", True),
    ]
    # The merged column can be referenced unqualified.
    assert cols(sql.format("JOIN") + " WHERE author_id = @a")[0] == ("author_id", "int8", False)


def test_left_joined_table_star_is_not_the_model() -> None:
    a = run("SELECT b.* FROM authors a LEFT JOIN books b ON b.author_id = a.id")
    assert [(c.name, c.type, c.nullable) for c in a.columns] == nullable(BOOK)
    assert a.model is None
    kept = run("SELECT a.* FROM authors a LEFT JOIN books b ON b.author_id = a.id")
    assert kept.model == "authors"


def test_lateral_subquery() -> None:
    assert cols(
        "SELECT a.id, s.n FROM authors a "
        "LEFT JOIN LATERAL (SELECT count(*) AS n FROM books b WHERE b.author_id = a.id) s "
        "ON true"
    ) == [("id", "int8", False), ("n", "int8", True)]


# -- subqueries and CTEs ---------------------------------------------------------------


def test_subquery_in_from() -> None:
    a = run("SELECT s.n, s.b FROM (SELECT name AS n, bio AS b FROM authors) AS s")
    assert [(c.name, c.type, c.nullable) for c in a.columns] == [
        ("n", "text", False),
        ("b", "text", True),
    ]
    whole = run("SELECT * FROM (SELECT * FROM authors WHERE id > 1) s")
    assert whole.model == "authors"


def test_scalar_subqueries_are_nullable() -> None:
    # An ungrouped aggregate subquery always returns its one row: count(*) is never NULL,
    # max() is; any other subquery may find no row.
    assert cols(
        "SELECT (SELECT count(*) FROM books WHERE author_id = a.id) AS n, "
        "(SELECT max(title) FROM books WHERE author_id = a.id) AS m, "
        "(SELECT title FROM books LIMIT 1) AS t, "
        "ARRAY(SELECT title FROM books) AS ts FROM authors a"
    ) == [("n", "int8", False), ("m", "text", True), ("t", "text", True), ("ts", "_text", False)]


def test_exists_and_in_subqueries() -> None:
    assert cols(
        "SELECT EXISTS (SELECT 1 FROM books b WHERE b.author_id = a.id) AS has_books, "
        "a.id IN (SELECT author_id FROM books) AS listed FROM authors a"
    ) == [("has_books", "bool", False), ("listed", "bool", False)]
    assert params(
        "SELECT id FROM authors WHERE id IN (SELECT author_id FROM books WHERE price > @p)"
    ) == [("p", "numeric", False)]


def test_cte() -> None:
    a = run(
        "WITH prolific AS (SELECT author_id, count(*) AS n FROM books GROUP BY author_id) "
        "SELECT a.name, p.n FROM authors a JOIN prolific p ON p.author_id = a.id "
        "WHERE p.n > @min"
    )
    assert [(c.name, c.type, c.nullable) for c in a.columns] == [
        ("name", "text", False),
        ("n", "int8", False),
    ]
    assert [(p.name, p.type) for p in a.params] == [("min", "int8")]


def test_cte_of_a_whole_table_keeps_the_model() -> None:
    assert run("WITH x AS (SELECT * FROM books) SELECT * FROM x").model == "books"


def test_data_modifying_cte() -> None:
    a = run(
        "WITH gone AS (DELETE FROM books WHERE author_id = @author_id RETURNING *) "
        "INSERT INTO reviews (book_id, stars, body) "
        "SELECT id, @stars, title FROM gone RETURNING id, body"
    )
    assert [(p.name, p.type, p.nullable) for p in a.params] == [
        ("author_id", "int8", False),
        ("stars", "int4", False),
    ]
    assert [(c.name, c.type, c.nullable) for c in a.columns] == [
        ("id", "int4", False),
        ("body", "text", True),
    ]
    assert (a.statement, a.table) == ("insert", "reviews")


def test_update_cte_then_select() -> None:
    assert cols(
        "WITH u AS (UPDATE authors SET bio = @bio WHERE id = @id RETURNING id, bio) SELECT * FROM u"
    ) == [("id", "int8", False), ("bio", "text", True)]


def test_recursive_cte() -> None:
    a = run(
        "WITH RECURSIVE n(i, label) AS ("
        "  SELECT 1, 'start'::text UNION ALL SELECT i + 1, NULL FROM n WHERE i < @max"
        ") SELECT i, label FROM n"
    )
    assert [(c.name, c.type, c.nullable) for c in a.columns] == [
        ("i", "int4", False),
        ("label", "text", True),
    ]
    assert [(p.name, p.type) for p in a.params] == [("max", "int4")]


def test_union_intersect_except() -> None:
    assert cols("SELECT id, name FROM authors UNION SELECT author_id, title FROM books") == [
        ("id", "int8", False),
        ("name", "text", False),
    ]
    assert cols("SELECT pages FROM books UNION ALL SELECT id FROM authors") == [
        ("pages", "int8", True)  # int2 and int8 resolve to int8
    ]
    assert cols("SELECT name, NULL AS x FROM authors EXCEPT SELECT title, 'y' FROM books") == [
        ("name", "text", False),
        ("x", "text", True),
    ]
    assert cols("SELECT 1 AS n INTERSECT SELECT NULL") == [("n", "int4", True)]


def test_values_list() -> None:
    assert cols("SELECT * FROM (VALUES (1, 'a'), (2.5, NULL)) AS v(n, s)") == [
        ("n", "numeric", False),
        ("s", "text", True),
    ]


# -- DML ---------------------------------------------------------------------------------


def test_insert_returning_star_and_params_from_columns() -> None:
    a = run(
        "INSERT INTO authors (name, bio, mood, tags, meta) "
        "VALUES (@name, @bio, @mood, @tags, @meta) RETURNING *",
        "one",
    )
    assert [(p.name, p.type, p.nullable) for p in a.params] == [
        ("name", "text", False),
        ("bio", "text", True),
        ("mood", "mood", False),
        ("tags", "_text", False),
        ("meta", "jsonb", True),
    ]
    assert a.model == "authors"
    assert (a.statement, a.table) == ("insert", "authors")


def test_insert_without_column_list_and_multiple_rows() -> None:
    insert = "INSERT INTO reviews OVERRIDING SYSTEM VALUE VALUES (@id, @book, @stars, @body)"
    assert params(insert, "exec") == [
        ("id", "int4", False),
        ("book", "uuid", False),
        ("stars", "int4", False),
        ("body", "text", True),
    ]
    assert params("INSERT INTO reviews (book_id, stars) VALUES (@a, 1), (@b, @s)", "exec") == [
        ("a", "uuid", False),
        ("b", "uuid", False),
        ("s", "int4", False),
    ]


def test_narg_makes_a_not_null_column_parameter_nullable_and_arg_the_reverse() -> None:
    assert params(
        "INSERT INTO authors (name, bio) VALUES (sqlc.narg('name'), sqlc.arg('bio')) RETURNING id"
    ) == [("name", "text", True), ("bio", "text", True)]
    # Comparisons make a parameter NOT NULL unless it is a narg.
    assert params("SELECT id FROM authors WHERE bio = @bio OR name = sqlc.narg('n')") == [
        ("bio", "text", False),
        ("n", "text", True),
    ]


def test_params_in_comparisons_take_the_column_type() -> None:
    assert params(
        "SELECT id FROM books WHERE author_id = @author AND price > @min_price "
        "AND @max_pages >= pages AND title LIKE @pattern AND published BETWEEN @from AND @to"
    ) == [
        ("author", "int8", False),
        ("min_price", "numeric", False),
        ("max_pages", "int2", False),
        ("pattern", "text", False),
        ("from", "timestamptz", False),
        ("to", "timestamptz", False),
    ]


def test_row_comparison_types_each_element() -> None:
    # Keyset pagination: (published, id) < (@published, @id).
    assert params(
        "SELECT id FROM books WHERE author_id = @a AND (published, id) < (@published, @id) "
        "ORDER BY published DESC, id DESC"
    ) == [("a", "int8", False), ("published", "timestamptz", False), ("id", "uuid", False)]
    assert params("SELECT id FROM books WHERE (author_id, title) = (@author, @title)") == [
        ("author", "int8", False),
        ("title", "text", False),
    ]


def test_row_in_subquery_types_each_element() -> None:
    assert params(
        "SELECT id FROM books WHERE (author_id, title) IN "
        "(SELECT id, name FROM authors WHERE id > @min)"
    ) == [("min", "int8", False)]


def test_update_returning() -> None:
    a = run(
        "UPDATE books SET title = @title, price = @price, pages = pages + 1 "
        "WHERE id = @id RETURNING id, price, pages",
        "one",
    )
    assert [(p.name, p.type, p.nullable) for p in a.params] == [
        ("title", "text", False),
        ("price", "numeric", True),
        ("id", "uuid", False),
    ]
    assert [(c.name, c.type, c.nullable) for c in a.columns] == [
        ("id", "uuid", False),
        ("price", "numeric", True),
        ("pages", "int2", True),
    ]
    assert (a.statement, a.table) == ("update", "books")


def test_update_from_and_delete_using() -> None:
    assert params(
        "UPDATE books SET price = @price FROM authors a "
        "WHERE a.id = books.author_id AND a.name = @author",
        "exec",
    ) == [("price", "numeric", True), ("author", "text", False)]
    a = run(
        "DELETE FROM books USING authors a WHERE a.id = books.author_id AND a.mood = @mood "
        "RETURNING books.*"
    )
    assert a.model == "books"
    assert (a.statement, a.table) == ("delete", "books")


def test_exec_statements_return_no_columns() -> None:
    assert run("DELETE FROM books WHERE id = @id", "execrows").columns == ()
    assert run("UPDATE authors SET bio = NULL", "exec").columns == ()


def test_on_conflict_do_update_with_excluded() -> None:
    a = run(
        "INSERT INTO authors (id, name, bio) VALUES (@id, @name, @bio) "
        "ON CONFLICT (id) DO UPDATE SET name = excluded.name || @suffix, "
        "bio = coalesce(excluded.bio, authors.bio) WHERE authors.mood <> @keep "
        "RETURNING *",
        "one",
    )
    assert [(p.name, p.type, p.nullable) for p in a.params] == [
        ("id", "int8", False),
        ("name", "text", False),
        ("bio", "text", True),
        ("suffix", "text", False),
        ("keep", "mood", False),
    ]
    assert a.model == "authors"


def test_on_conflict_do_nothing() -> None:
    assert cols(
        "INSERT INTO authors (name) VALUES (@name) ON CONFLICT DO NOTHING RETURNING id", "one"
    ) == [("id", "int8", False)]


def test_for_update_and_locking_clauses() -> None:
    for lock in ("FOR UPDATE", "FOR SHARE", "FOR UPDATE SKIP LOCKED", "FOR NO KEY UPDATE NOWAIT"):
        a = run(f"SELECT * FROM books WHERE id = @id {lock}", "one")
        assert a.model == "books"
        assert [(p.name, p.type) for p in a.params] == [("id", "uuid")]


def test_limit_and_offset_params_are_int8() -> None:
    assert params("SELECT id FROM books ORDER BY id LIMIT @n OFFSET @skip") == [
        ("n", "int8", False),
        ("skip", "int8", False),
    ]


def test_any_with_a_cast_array_parameter() -> None:
    assert params("SELECT id FROM books WHERE id = ANY(@ids::uuid[])") == [("ids", "_uuid", False)]
    assert params("SELECT id FROM books WHERE author_id <> ALL(@ids)") == [("ids", "_int8", False)]


def test_sqlc_slice() -> None:
    a = run("SELECT id FROM books WHERE author_id IN (sqlc.slice(ids)) AND title = @t")
    assert [(p.name, p.type, p.nullable, p.is_slice) for p in a.params] == [
        ("ids", "_int8", False, True),
        ("t", "text", False, False),
    ]
    assert a.query.sql.startswith("SELECT id FROM books WHERE author_id = ANY($1)")
    b = run("SELECT id FROM books WHERE author_id NOT IN (sqlc.slice(ids))")
    assert [(p.name, p.type, p.is_slice) for p in b.params] == [("ids", "_int8", True)]


def test_sqlc_embed() -> None:
    a = run(
        "SELECT sqlc.embed(b), sqlc.embed(a), r.stars FROM books b "
        "JOIN authors a ON a.id = b.author_id JOIN reviews r ON r.book_id = b.id"
    )
    embeds = [c.embed for c in a.columns]
    assert embeds == ["b"] * len(BOOK) + ["a"] * len(AUTHOR) + [None]
    assert [(c.name, c.type, c.nullable) for c in a.columns][-1] == ("stars", "int4", False)
    assert a.model is None


def test_sqlc_embed_of_an_outer_joined_table_is_optional() -> None:
    a = run("SELECT sqlc.embed(a), sqlc.embed(b) FROM authors a LEFT JOIN books b ON true")
    optional = {c.embed: c.embed_optional for c in a.columns}
    assert optional == {"a": False, "b": True}
    with pytest.raises(CodegenError, match=r"sqlc.embed\(s\) needs a table \(or a view\)"):
        run("SELECT sqlc.embed(s) FROM (SELECT 1 AS x) s")


def test_copyfrom_columns_in_parameter_order() -> None:
    a = run(
        "INSERT INTO books (title, author_id, price) VALUES (@title, @author_id, @price)",
        "copyfrom",
    )
    assert a.copy_columns == ("title", "author_id", "price")
    assert [(p.name, p.type, p.nullable) for p in a.params] == [
        ("title", "text", False),
        ("author_id", "int8", False),
        ("price", "numeric", True),
    ]


def test_positional_params_take_names_from_their_columns() -> None:
    assert params("SELECT id FROM books WHERE author_id = $1 AND title = $2 LIMIT $3") == [
        ("author_id", "int8", False),
        ("title", "text", False),
        ("limit", "int8", False),
    ]


def test_cast_params_and_default() -> None:
    assert params(
        "INSERT INTO authors (name, mood, born) VALUES (@name::text, DEFAULT, @born::date) "
        "RETURNING id"
    ) == [("name", "text", False), ("born", "date", False)]


# -- errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "command", "message"),
    [
        ("SELECT * FROM nope", "many", 'relation "nope" does not exist'),
        ("SELECT nope FROM authors", "many", 'column "nope" does not exist'),
        ("SELECT x.id FROM authors a", "many", 'missing FROM-clause entry for table "x"'),
        ("SELECT id FROM authors, books", "many", 'column reference "id" is ambiguous'),
        ("SELECT @x", "one", "cannot infer the type of parameter x"),
        ("UPDATE authors SET bio = @b WHERE id = @id", "one", ":one needs a statement"),
        ("SELECT born + @n FROM authors", "many", "operator is not unique"),
        ("SELECT name + 1 FROM authors", "many", "no operator or function +(text, int4)"),
        ("SELECT nosuchfn(1)", "many", "function nosuchfn(int4) does not exist"),
        ("SELECT coalesce(name, 1) FROM authors", "many", "cannot be matched"),
        ("INSERT INTO authors (nope) VALUES (1)", "exec", 'column "nope" of relation'),
        ("INSERT INTO reviews (stars) VALUES (@s, @t)", "exec", "more expressions than"),
        ("INSERT INTO reviews (stars) VALUES ('2020-01-01'::date)", "exec", "is of type int4"),
        ("SELECT id FROM authors UNION SELECT id, name FROM authors", "many", "same columns"),
        ("INSERT INTO books (title) SELECT name FROM authors", "copyfrom", ":copyfrom needs"),
    ],
)
def test_inference_errors(sql: str, command: str, message: str) -> None:
    with pytest.raises(CodegenError) as info:
        run(sql, command)
    assert message in info.value.message
    assert info.value.location is not None
    assert info.value.location[0] == "queries/q.sql"
