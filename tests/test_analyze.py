"""Stage 3 (codegen.analyze): what the analysis hands render besides types, and its errors.

Which table's model a row is, whether a statement always returns one row, the statement's
kind and table, sqlc.embed, sqlc.slice and :copyfrom layouts, and the errors that name the
spot. Types and nullability like PostgreSQL's are conformance cases, judged by a real
server: tests/cases/analyze_* hold these same queries.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from codegen import analyze, catalog, parse
from codegen.analyze import Analysis
from codegen.errors import CodegenError

# the schema of the conformance case that holds these queries' types
SCHEMA = (Path(__file__).with_name("cases") / "analyze_select_lists" / "schema.sql").read_text()

CATALOG = catalog.build([("schema/0001_init.sql", SCHEMA)], analyze.view_columns)

Cols = list[tuple[str, str, bool]]


def run(sql: str, command: str = "many") -> Analysis:
    queries = parse.parse_file("queries/q.sql", f"-- name: Q :{command}\n{sql};\n")
    return analyze.analyze(queries[0], CATALOG)


def cols(sql: str, command: str = "many") -> Cols:
    return [(c.name, c.type, c.nullable) for c in run(sql, command).columns]


# -- models: a row that is exactly a table's columns is that table's model ---------------


@pytest.mark.parametrize(
    ("sql", "model"),
    [
        ("SELECT * FROM authors", "authors"),
        ("SELECT b.* FROM books b JOIN authors a ON a.id = b.author_id", "books"),
        ("SELECT * FROM books b JOIN authors a ON a.id = b.author_id", None),
        ("SELECT id, name FROM authors", None),
        # the same columns in another order are not the model either
        ("SELECT name, id, bio, mood, tags, meta, born FROM authors", None),
        ("SELECT id, name, bio, mood, tags, meta, born FROM authors", "authors"),
        ("SELECT * FROM author_book_counts WHERE name = @name", "author_book_counts"),
        ("SELECT b.* FROM authors a LEFT JOIN books b ON b.author_id = a.id", None),
        ("SELECT a.* FROM authors a LEFT JOIN books b ON b.author_id = a.id", "authors"),
        ("SELECT * FROM (SELECT * FROM authors WHERE id > 1) s", "authors"),
        ("WITH x AS (SELECT * FROM books) SELECT * FROM x", "books"),
        (
            "DELETE FROM books USING authors a WHERE a.id = books.author_id AND a.mood = @mood "
            "RETURNING books.*",
            "books",
        ),
        *(
            (f"SELECT * FROM books WHERE id = @id {lock}", "books")
            for lock in (
                "FOR UPDATE",
                "FOR SHARE",
                "FOR UPDATE SKIP LOCKED",
                "FOR NO KEY UPDATE NOWAIT",
            )
        ),
    ],
)
def test_a_row_of_exactly_a_tables_columns_is_its_model(sql: str, model: str | None) -> None:
    assert run(sql).model == model


def test_star_columns_come_from_the_table() -> None:
    a = run("SELECT * FROM authors")
    assert all(c.origin == ("authors", c.name) for c in a.columns)


def test_aggregate_without_group_by_is_always_one_row() -> None:
    assert run("SELECT count(*) FROM books", "one").always_one_row
    assert run("SELECT max(price) FROM books", "one").always_one_row
    assert not run("SELECT count(*) FROM books GROUP BY author_id", "one").always_one_row
    assert not run("SELECT title FROM books", "one").always_one_row


# -- the statement's kind and the table it writes ------------------------------------------


@pytest.mark.parametrize(
    ("sql", "command", "kind", "table", "model"),
    [
        ("SELECT * FROM authors", "many", "select", None, "authors"),
        (
            "INSERT INTO authors (name, bio, mood, tags, meta) "
            "VALUES (@name, @bio, @mood, @tags, @meta) RETURNING *",
            "one",
            "insert",
            "authors",
            "authors",
        ),
        (
            "WITH gone AS (DELETE FROM books WHERE author_id = @author_id RETURNING *) "
            "INSERT INTO reviews (book_id, stars, body) "
            "SELECT id, @stars, title FROM gone RETURNING id, body",
            "many",
            "insert",
            "reviews",
            None,
        ),
        (
            "UPDATE books SET title = @title, price = @price, pages = pages + 1 "
            "WHERE id = @id RETURNING id, price, pages",
            "one",
            "update",
            "books",
            None,
        ),
        (
            "DELETE FROM books USING authors a WHERE a.id = books.author_id AND a.mood = @mood "
            "RETURNING books.*",
            "many",
            "delete",
            "books",
            "books",
        ),
        (
            "INSERT INTO authors (id, name, bio) VALUES (@id, @name, @bio) "
            "ON CONFLICT (id) DO UPDATE SET name = excluded.name || @suffix, "
            "bio = coalesce(excluded.bio, authors.bio) WHERE authors.mood <> @keep "
            "RETURNING *",
            "one",
            "insert",
            "authors",
            "authors",
        ),
    ],
)
def test_statement_kind_table_and_model(
    sql: str, command: str, kind: str, table: str | None, model: str | None
) -> None:
    a = run(sql, command)
    assert (a.statement, a.table, a.model) == (kind, table, model)


# -- sqlc macros and :copyfrom ------------------------------------------------------------


def test_sqlc_slice_is_one_array_parameter_sent_as_any() -> None:
    a = run("SELECT id FROM books WHERE author_id IN (sqlc.slice(ids)) AND title = @t")
    assert [(p.name, p.is_slice) for p in a.params] == [("ids", True), ("t", False)]
    assert a.query.sql.startswith("SELECT id FROM books WHERE author_id = ANY($1)")
    b = run("SELECT id FROM books WHERE author_id NOT IN (sqlc.slice(ids))")
    assert [(p.name, p.type, p.is_slice) for p in b.params] == [("ids", "_int8", True)]


def test_sqlc_embed() -> None:
    a = run(
        "SELECT sqlc.embed(b), sqlc.embed(a), r.stars FROM books b "
        "JOIN authors a ON a.id = b.author_id JOIN reviews r ON r.book_id = b.id"
    )
    embeds = [c.embed for c in a.columns]
    width = {t: len(CATALOG.tables[t].columns) for t in ("books", "authors")}
    assert embeds == ["b"] * width["books"] + ["a"] * width["authors"] + [None]
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
        ("SELECT round(x => 1.5) AS r", "many", "function round(x => numeric) does not exist"),
    ],
)
def test_inference_errors(sql: str, command: str, message: str) -> None:
    with pytest.raises(CodegenError) as info:
        run(sql, command)
    assert message in info.value.message
    assert info.value.location is not None
    assert info.value.location[0] == "queries/q.sql"
