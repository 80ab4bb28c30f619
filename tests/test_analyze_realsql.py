"""Real-world PostgreSQL the analyzer refuses as PostgreSQL does: the errors PostgreSQL
would raise at PREPARE (or when the statement runs) caught at generate, at the token.

Each refused statement is refused by a real server with the same schema too (or, where
the server only fails when it runs, run and seen failing). What it accepts — utility
statements as queries, assignment casts, mixed parameter styles, grouped columns, whole
rows, ranges — are conformance cases in tests/cases/ (utility_statements,
assignment_casts, parameters_positional_and_named, prepared_as_postgresql,
grouped_columns_accepted, whole_rows, range_expressions), typed as PREPARE types them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from codegen import analyze, catalog, parse
from codegen.errors import CodegenError
from tests.conftest import scratch_connection

# the schema of the conformance case that holds these queries' types
SCHEMA = (Path(__file__).with_name("cases") / "utility_statements" / "schema.sql").read_text()
CATALOG = catalog.build([("schema/0001.sql", SCHEMA)], analyze.view_columns)


def run(sql: str, command: str = "exec") -> analyze.Analysis:
    (query,) = parse.parse_file("queries/q.sql", f"-- name: Q :{command}\n{sql};\n")
    return analyze.analyze(query, CATALOG)


def refused(sql: str, command: str = "exec") -> CodegenError:
    with pytest.raises(CodegenError) as info:
        run(sql, command)
    return info.value


def caret(err: CodegenError) -> str:
    """The source text from where the error points."""
    assert err.source is not None
    return err.source.text[err.offset :]


@pytest.fixture(scope="module")
async def pg(admin_dsn: str) -> AsyncIterator[asyncpg.Connection[Any]]:
    async with scratch_connection(admin_dsn, SCHEMA) as conn:
        yield conn


# -- utility statements -------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "at"),
    [
        ("CREATE TEMP TABLE s (a int DEFAULT @a)", "@a)"),
        ("CREATE TEMP TABLE s (a int CHECK (a > @low))", "@low))"),
    ],
)
async def test_a_parameter_in_a_utility_statement_is_an_error_at_it(
    pg: asyncpg.Connection[Any], sql: str, at: str
) -> None:
    """PostgreSQL prepares these with no parameter at all, then fails when they run."""
    err = refused(sql)
    assert "parameter cannot be used in CREATE TABLE" in err.message
    assert caret(err).startswith(at)
    server_sql = sql.replace("@a", "$1").replace("@low", "$1")
    assert (await pg.prepare(server_sql)).get_parameters() == ()
    with pytest.raises(asyncpg.PostgresError, match=r"no parameter \$1"):
        async with pg.transaction():
            await pg.execute(server_sql)


@pytest.mark.parametrize(
    ("sql", "why"),
    [
        ("LOCK TABLE nope", 'relation "nope" does not exist'),
        ("TRUNCATE items, nope", 'relation "nope" does not exist'),
        ("REFRESH MATERIALIZED VIEW items", "not a materialized view"),
        ("CREATE TABLE keep (a int)", "only CREATE TEMP TABLE"),
        ("CREATE TEMP TABLE s (a nosuchtype)", "nosuchtype"),
    ],
)
def test_utility_statements_name_what_exists(sql: str, why: str) -> None:
    assert why in refused(sql).message


def test_statements_that_cannot_be_queries_are_named_in_sql_words() -> None:
    err = refused("ALTER TABLE items ADD COLUMN x int")
    assert err.message.startswith("Q: ALTER TABLE cannot be a query")
    assert "Stmt" not in err.message


@pytest.mark.parametrize("sql", ["TRUNCATE items", "LOCK items", "NOTIFY jobs"])
async def test_execrows_needs_a_row_count(pg: asyncpg.Connection[Any], sql: str) -> None:
    """The status of these has no count ("TRUNCATE TABLE"): :execrows could not read one."""
    assert (
        ":execrows needs a statement that reports a row count" in refused(sql, "execrows").message
    )
    async with pg.transaction():
        status = await pg.execute(sql)
    assert not status.rpartition(" ")[2].isdigit()


# -- assignment casts -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "why"),
    [
        ("INSERT INTO items (id, label) VALUES (now(), 'x')", "of type int4 but"),
        ("UPDATE items SET at = 1 WHERE id = 1", "of type timestamp but"),
        ("UPDATE items SET n = '{}'::jsonb", "of type numeric but"),
    ],
)
async def test_no_assignment_cast_is_an_error(
    pg: asyncpg.Connection[Any], sql: str, why: str
) -> None:
    assert why in refused(sql).message
    with pytest.raises(asyncpg.DatatypeMismatchError):
        await pg.prepare(sql)


async def test_assignment_casts_table_is_the_server_s(pg: asyncpg.Connection[Any]) -> None:
    from codegen.analyze.assign import ASSIGNMENT_CASTS

    rows = await pg.fetch(
        """SELECT s.typname AS s, t.typname AS t FROM pg_cast c
           JOIN pg_type s ON s.oid = c.castsource JOIN pg_type t ON t.oid = c.casttarget
           WHERE c.castcontext = 'a' AND c.oid < 16384"""
    )
    assert {(r["s"], r["t"]) for r in rows} == ASSIGNMENT_CASTS


# -- what PostgreSQL refuses, refused at generate, at the offending token ---------

PREPARE_ERRORS = [
    ("INSERT INTO items (id, label, at) VALUES (1, 'x')", "more target columns", "at) VALUES"),
    ("INSERT INTO items (id, label) VALUES (1, 'x', now())", "more expressions", "now()"),
    ("INSERT INTO items (id, label) VALUES (1, 'x'), (2)", "more target columns", "label)"),
    ("INSERT INTO items (id, label, at) SELECT 1, 'x'", "more target columns", "at) SELECT"),
    ("INSERT INTO items (id) SELECT * FROM items", "more expressions", "* FROM"),
    ("INSERT INTO items (id, label, at) SELECT 1, 'x', 3", 'column "at" is of type', "3"),
    (
        "INSERT INTO items (id, label) VALUES (1, 'x') ON CONFLICT (label) DO UPDATE SET "
        "label = 'y'",
        "no unique or exclusion constraint",
        "(label) DO",
    ),
    (
        "INSERT INTO logs (item_id, doc) VALUES (1, '{}') ON CONFLICT (doc) DO UPDATE SET "
        "doc = excluded.doc",
        "no unique or exclusion constraint",
        "(doc) DO",
    ),
    ("SELECT id FROM items a, items b", 'column reference "id" is ambiguous', "id FROM"),
    ("SELECT a.id FROM items a JOIN items b ON id = 1", "is ambiguous", "id = 1"),
    ("SELECT 1, 2 UNION SELECT 1", "same columns (2 and 1)", "1;"),
    ("SELECT 1 UNION SELECT 1, 2 UNION SELECT 3", "same columns (1 and 2)", "2 UNION"),
    ("SELECT id FROM items UNION ALL SELECT at FROM items", "cannot be matched", "at FROM"),
    (
        "SELECT id FROM items WHERE id = @x AND label = @x",
        "parameter x is int4 where it is first used (line 2, column 33) but text here",
        "@x;",
    ),
    (
        "SELECT id FROM items WHERE label = @x OR id = @x",
        "parameter x is text where it is first used (line 2, column 36) but int4 here",
        "@x;",
    ),
]


@pytest.mark.parametrize(("sql", "why", "at"), PREPARE_ERRORS)
async def test_prepare_errors_are_caught_at_generate_at_the_token(
    pg: asyncpg.Connection[Any], sql: str, why: str, at: str
) -> None:
    err = refused(sql)
    assert why in err.message
    assert caret(err).startswith(at)
    # Refused at PREPARE, or (the ON CONFLICT arbiter is the planner's) when it runs.
    with pytest.raises(asyncpg.PostgresError):
        async with pg.transaction():
            if "@x" in sql:
                await pg.prepare(sql.replace("@x", "$1"))
            else:
                await pg.execute(sql)


@pytest.mark.parametrize(
    ("sql", "why", "at"),
    [
        ("INSERT INTO items (id, label) VALUES (@id, 'x')", "value for label", "label)"),
        ("INSERT INTO items (id, label) VALUES (@id, @id)", "$1 is used twice", "@id, @id"),
        ("INSERT INTO items (id, label) VALUES (@id, @l) RETURNING id", "returns no", "id;"),
        ("INSERT INTO items VALUES (@id, @l)", "name the columns", "items VALUES"),
        ("UPDATE items SET label = @l", "not an INSERT", "UPDATE"),
    ],
)
def test_copyfrom_shape_errors_point_at_the_part_that_does_not_fit(
    sql: str, why: str, at: str
) -> None:
    err = refused(sql, "copyfrom")
    assert why in err.message
    assert caret(err).startswith(at)


# -- ranges in expressions: never NULL when built --------------------------------------

RANGES = [
    ("SELECT int4range(@lo, @hi) AS r", [False]),
    ("SELECT tstzrange(NULL, NULL) AS r, daterange(NULL, CURRENT_DATE, '[]') AS d", [False, False]),
    ("SELECT numrange(n, NULL) @> 1.5 AS c FROM items", [False]),
    ("SELECT int8range(1, 5) * int8range(@lo, 10) AS r", [False]),
    ("SELECT lower(tsrange(at, NULL)) AS l FROM items", [True]),
    ("SELECT int4multirange(int4range(1, 2)) AS m", [False]),
]


@pytest.mark.parametrize(("sql", "nullable"), RANGES)
async def test_range_expressions_are_typed_and_never_null_when_built(
    pg: asyncpg.Connection[Any], sql: str, nullable: list[bool]
) -> None:
    """Range constructors take a NULL bound as an unbounded one: never NULL."""
    a = run(sql, "many")
    assert [c.nullable for c in a.columns] == nullable
    tx = pg.transaction()
    await tx.start()
    try:  # a row with NULL in every nullable column, and NULL for every parameter
        await pg.execute("INSERT INTO items (id, label) VALUES (1, 'x')")
        rows = await pg.fetch(a.sql, *([None] * len(a.params)))
    finally:
        await tx.rollback()
    assert rows
    for row in rows:
        for value, col in zip(row, a.columns, strict=True):
            assert col.nullable or value is not None, f"{col.name} is NULL"


# -- ungrouped columns ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "at"),
    [
        ("SELECT label, count(*) AS n FROM items", "label,"),
        ("SELECT at, count(*) AS n FROM items GROUP BY label", "at,"),
        (
            "SELECT l.doc, count(*) AS n FROM logs l JOIN items i ON i.id = l.item_id "
            "GROUP BY i.id",
            "l.doc",
        ),
        ("SELECT label FROM items GROUP BY n HAVING at IS NULL", "label"),
        ("SELECT lower(label) AS l FROM items GROUP BY n", "label)"),
    ],
)
async def test_an_ungrouped_column_is_an_error_at_it(
    pg: asyncpg.Connection[Any], sql: str, at: str
) -> None:
    err = refused(sql, "many")
    assert "must appear in the GROUP BY clause" in err.message
    assert caret(err).startswith(at)
    with pytest.raises(asyncpg.GroupingError):
        await pg.prepare(sql)


# -- the cast hint names the types PostgreSQL chooses between ---------------------------


@pytest.mark.parametrize(
    ("sql", "hint"),
    [
        # Every overload returns text or numeric: before, @x silently became the first one.
        ("SELECT to_char(@x, 'YYYY') AS y", "argument 1 has no type and could be float4, float8"),
        (
            "SELECT extract(epoch FROM @x) AS e",
            "argument 2 has no type and could be date, interval",
        ),
        (
            "SELECT date_trunc('day', @t) AS d",
            "argument 2 has no type and could be interval, timestamp, timestamptz",
        ),
        ("SELECT @a + @b AS s", "operator + is not unique: its left operand has no type"),
    ],
)
async def test_an_untyped_argument_postgresql_cannot_type_names_the_candidates(
    pg: asyncpg.Connection[Any], sql: str, hint: str
) -> None:
    assert hint in refused(sql, "one").message
    with pytest.raises(asyncpg.AmbiguousFunctionError):
        await pg.prepare(
            sql.replace("@x", "$1").replace("@t", "$1").replace("@a", "$1").replace("@b", "$2")
        )


# -- whole rows ---------------------------------------------------------------------


async def test_a_table_s_whole_row_as_a_column_is_refused(pg: asyncpg.Connection[Any]) -> None:
    """PostgreSQL types `SELECT i FROM items i` as the row type items; it was `record`."""
    sql = "SELECT i.id, i FROM items i"
    err = refused(sql, "many")
    assert "a whole row (i) as a result column is not supported" in err.message
    assert caret(err).startswith("i FROM")
    stmt = await pg.prepare(sql)
    assert stmt.get_attributes()[1].type.name == "items"
