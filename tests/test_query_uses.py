"""What a query uses, as the analyzer resolves it once for every tool: the tables and
columns `describe` and the review catalog list, the locks, the equalities `vet`'s
distribution rule pins through, and the column `explain` takes a parameter's value from.

Each case is one the tools got wrong while they re-walked the parse tree by their own
rules: CTEs shadowing tables by name, `JOIN ... USING`, schema-qualified names and the
search_path, subquery columns taken for values, a parameter tied to the first table
with a column of that name, and advisory locks found by substring.
"""

from __future__ import annotations

from typing import Any

from codegen import analyze, catalog, cli, parse, pipeline
from codegen.dba import distribution, explain
from tests.conftest import scratch_connection

SCHEMA = """\
CREATE TABLE authors (id bigint PRIMARY KEY, name text NOT NULL UNIQUE, bio text);
CREATE TABLE books (
    id bigint PRIMARY KEY,
    author_id bigint NOT NULL REFERENCES authors (id),
    title text NOT NULL
);
CREATE TABLE reviews (id bigint PRIMARY KEY, stars int NOT NULL, note text);
CREATE FUNCTION note_advisory(bigint) RETURNS void LANGUAGE sql AS '';
CREATE SCHEMA app;
CREATE TABLE app.shelves (tenant_id bigint NOT NULL, id bigint NOT NULL, label text NOT NULL);
"""
CAT = catalog.build([("schema/0001.sql", SCHEMA)], analyze.view_columns, ("app", "public"))


def analysed(sql: str) -> analyze.Analysis:
    (query,) = parse.parse_file("queries/q.sql", f"-- name: Q :exec\n{sql};\n")
    return analyze.analyze(query, CAT)


def described(sql: str) -> dict[str, Any]:
    """`describe`'s entry for the query."""
    (entry,) = cli.describe_json(pipeline.Result(CAT, {"queries/q.sql": [analysed(sql)]}))
    return entry


def reads(sql: str) -> dict[str, list[str]]:
    return {r["table"]: r["columns"] for r in described(sql)["reads"]}


def flagged(sql: str, dist: dict[str, str]) -> list[str]:
    """The tables the distribution rule says the query reaches on every shard."""
    found = distribution.findings(analysed(sql), CAT, dist)
    return [err.message.split(": ", 1)[1].split(" is distributed")[0] for err in found]


def test_a_cte_is_not_visible_inside_its_own_definition() -> None:
    # `books` inside the CTE is the table (a non-recursive WITH sees only earlier CTEs)
    sql = "WITH books AS (SELECT id, title FROM books WHERE id > 1) SELECT title FROM books"
    assert reads(sql) == {"books": ["id", "title"]}


def test_a_cte_named_like_a_distributed_table_is_not_that_table() -> None:
    sql = "WITH books AS (SELECT id FROM books WHERE id = @id) SELECT id FROM books"
    assert flagged(sql, {"books": "id"}) == []
    assert flagged("WITH b AS (SELECT 1 AS id) SELECT id FROM b", {"b": "id"}) == []


def test_join_using_reads_both_sides_and_pins_through_the_merged_column() -> None:
    sql = "SELECT title, stars FROM books JOIN reviews USING (id) WHERE id = @id"
    assert reads(sql) == {"books": ["id", "title"], "reviews": ["id", "stars"]}
    assert flagged(sql, {"books": "id", "reviews": "id"}) == []
    natural = "SELECT title FROM books b NATURAL JOIN reviews r WHERE b.id = @id"
    assert flagged(natural, {"books": "id", "reviews": "id"}) == []


def test_tables_are_named_by_schema_and_search_path() -> None:
    # `shelves` is app.shelves through the search_path (app first)
    assert flagged("SELECT label FROM shelves WHERE id = @id", {"app.shelves": "tenant_id"}) == [
        "app.shelves"
    ]
    pinned = "SELECT label FROM app.shelves s WHERE s.tenant_id = @t AND id = @id"
    assert flagged(pinned, {"app.shelves": "tenant_id"}) == []
    assert reads("SELECT label FROM shelves") == {"app.shelves": ["label"]}


def test_a_subquery_column_is_not_a_value_that_pins() -> None:
    sql = (
        "SELECT b.title FROM books b JOIN (SELECT id FROM authors WHERE name = @name) a"
        " ON a.id = b.author_id"
    )
    assert sorted(flagged(sql, {"books": "author_id", "authors": "id"})) == ["authors", "books"]


def test_a_parameter_binds_to_the_table_its_column_belongs_to() -> None:
    a = analysed("SELECT r.note FROM books b JOIN reviews r ON r.id = b.id WHERE r.stars > @s")
    assert explain.bindings(a) == {1: explain.Binding("reviews", "stars", ">")}
    # `id` is in both tables: the qualifier decides, not the first table that has one
    a = analysed("SELECT r.note FROM authors b RIGHT JOIN reviews r ON r.id = b.id WHERE r.id = @i")
    assert explain.bindings(a) == {1: explain.Binding("reviews", "id", "=")}
    a = analysed("UPDATE shelves SET label = @label WHERE tenant_id = @t")
    assert explain.bindings(a) == {
        1: explain.Binding("app.shelves", "label", "set"),
        2: explain.Binding("app.shelves", "tenant_id", "="),
    }


def test_advisory_locks_are_calls_of_the_lock_functions() -> None:
    def locks(sql: str) -> list[str]:
        return [lk["mode"] for lk in described(sql)["locks"]]

    assert locks("SELECT pg_catalog.pg_try_advisory_xact_lock(@key::bigint)") == [
        "pg_try_advisory_xact_lock"
    ]
    assert locks("SELECT pg_advisory_unlock(@key::bigint)") == []  # releases, locks nothing
    assert locks("SELECT note_advisory(@key::bigint)") == []  # a function of the schema


def test_returning_reads_nothing_of_the_rows_written() -> None:
    sql = "UPDATE books SET title = @t WHERE id = @id RETURNING *"
    assert reads(sql) == {"books": ["id"]}
    assert described(sql)["writes"] == [{"table": "books", "kind": "update", "columns": ["title"]}]


async def test_explain_takes_a_parameter_value_from_its_table_in_another_schema(
    admin_dsn: str,
) -> None:
    rows = "INSERT INTO app.shelves VALUES (7, 1, 'a'), (7, 2, 'b'), (8, 3, 'c');"
    async with scratch_connection(admin_dsn, SCHEMA + rows) as conn:
        a = analysed("SELECT label FROM shelves WHERE tenant_id = @t")
        (p,) = a.params
        # the most common tenant_id of app.shelves, not a type's default
        assert await explain.argument(conn, p, explain.bindings(a)[1], CAT) == "'7'::int8"


def test_each_level_records_its_tables_and_equalities() -> None:
    from codegen.analyze.model import Level, Operand, Source

    sql = (
        "SELECT b.title FROM books b JOIN reviews r USING (id)"
        " WHERE b.author_id = @a AND r.stars = 5 AND b.id IN (SELECT id FROM reviews)"
    )
    a = analysed(sql)
    outer, inner = sorted(a.uses.levels, key=lambda lv: len(lv.sources), reverse=True)
    assert [(s.alias, s.table) for s in outer.sources] == [("b", "books"), ("r", "reviews")]
    assert set(outer.equalities) == {
        (Operand("b", "author_id", "books"), Operand(param=1)),
        (Operand("r", "stars", "reviews"), Operand()),  # a constant
        (Operand("b", "id", "books"), Operand("r", "id", "reviews")),  # USING
    }
    assert inner == Level((Source("reviews", "reviews", inner.sources[0].location),), ())
    assert sql[outer.sources[0].location :].startswith("books b")
