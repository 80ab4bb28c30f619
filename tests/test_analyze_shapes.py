"""Statement shapes real projects use, judged by PostgreSQL: the ones it refuses are
refused, and nullability holds on data.

Their types are conformance cases (tests/cases/shapes_from_set_and_system_columns, judged
by PREPARE). Nullability is what the SQL guarantees; each NOT NULL claim is also run on
data made to break it (empty tables, NULLs in every nullable column, an outer join that
finds nothing), and must hold there.
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
SCHEMA = (
    Path(__file__).with_name("cases") / "shapes_from_set_and_system_columns" / "schema.sql"
).read_text()
DATA = """
INSERT INTO docs VALUES (1, '{"k": null, "n": [1, null]}', '{x,NULL}', NULL), (2, '{}', '{}', 'x');
INSERT INTO items VALUES (1, 10, NULL, NULL), (2, 20, 'b', 3), (3, 20, NULL, 4);
"""
CATALOG = catalog.build([("schema/0001.sql", SCHEMA)], analyze.view_columns)


def run(sql: str, command: str = "many") -> analyze.Analysis:
    (query,) = parse.parse_file("queries/q.sql", f"-- name: Q :{command}\n{sql};\n")
    return analyze.analyze(query, CATALOG)


@pytest.fixture(scope="module")
async def pg(admin_dsn: str) -> AsyncIterator[asyncpg.Connection[Any]]:
    """A database with SCHEMA and DATA, for PREPARE and for running the statements."""
    async with scratch_connection(admin_dsn, SCHEMA + DATA) as conn:
        yield conn


@pytest.mark.parametrize(
    ("sql", "why"),
    [
        ("SELECT * FROM jsonb_to_record('{}'::jsonb) AS x", "jsonb_to_record"),
        ("SELECT * FROM items WHERE (a, b) = (SELECT a FROM items)", "1 columns to compare"),
        ("UPDATE items SET (a, b) = (SELECT a FROM items)", "number of columns"),
        ("UPDATE items SET (a, b) = (1, 2, 3)", "number of columns"),
        ("SELECT id FROM items WHERE a = COALESCE(@x, NULL)", "int4, text"),
        ("INSERT INTO items (id, a) VALUES (1, CASE WHEN true THEN @x END)", "type text"),
        ("SELECT i.xmin FROM items i, items j WHERE j.xmax = 0 AND xmin = 0", "ambiguous"),
        ("SELECT xmin FROM (SELECT id FROM items) s", "xmin"),
        ("WITH w AS (SELECT 1 AS n) SELECT ctid FROM w", "ctid"),
        ("SELECT id FROM items TABLESAMPLE nope (1)", "nope"),
        (
            "UPDATE items SET a = @s, c = CASE WHEN @s = 'x' THEN 1 ELSE 2 END WHERE id = 1",
            "parameter s is text where it is first used",
        ),
        ("UPDATE items SET b = @x, c = @x + 1 WHERE id = 1", "parameter x is int4"),
        ("INSERT INTO items (id, a, b) VALUES (1, @y + 1, @y)", "parameter y is int4"),
    ],
)
async def test_shapes_postgresql_rejects_are_errors(
    pg: asyncpg.Connection[Any], sql: str, why: str
) -> None:
    with pytest.raises(CodegenError, match=why):
        run(sql)
    with pytest.raises(asyncpg.PostgresError):
        await pg.prepare(sql)


# Nullability (items 8, 10, 11): (query, nullable per result column).
NULLABILITY = [
    (
        "SELECT i.xmin, e.xmin AS ex, e.ctid FROM items i LEFT JOIN empty e ON false",
        [False, True, True],
    ),
    ("SELECT t FROM docs, unnest(docs.tags) AS t", [True]),
    (
        "SELECT unnest(tags) AS t, jsonb_array_elements_text(body -> 'n') AS e FROM docs",
        [True, True],
    ),
    ("SELECT e.value FROM docs, jsonb_array_elements(docs.body -> 'n') AS e", [False]),
    ("SELECT e.value FROM docs, jsonb_array_elements_text(docs.body -> 'n') AS e", [True]),
    (
        "SELECT json_build_object('a', note) AS o, jsonb_build_array(note) AS r FROM docs",
        [False, False],
    ),
    ("SELECT json_build_object() AS o, jsonb_build_object('k', NULL) AS p", [False, False]),
    ("SELECT EXISTS (SELECT 1 FROM empty) AS e", [False]),
    ("SELECT (SELECT count(*) FROM empty) AS n, (SELECT max(a) FROM empty) AS m", [False, True]),
    (
        "SELECT b, sum(a) AS s, max(a) AS m, array_agg(c) AS cs FROM items GROUP BY b",
        [True, False, False, True],
    ),
    (
        "SELECT b, sum(c) AS s, max(a) FILTER (WHERE c > 100) AS f FROM items GROUP BY b",
        [True, True, True],
    ),
    ("SELECT sum(a) AS s FROM items GROUP BY ROLLUP (b)", [True]),
    ("SELECT sum(a) AS s FROM empty", [True]),
    ("SELECT kv.key, kv.value FROM docs, jsonb_each(docs.body) AS kv", [False, False]),
    ("SELECT kv.key, kv.value FROM docs, jsonb_each_text(docs.body) AS kv", [False, True]),
    (
        "SELECT * FROM ROWS FROM (generate_series(1, 3), unnest(ARRAY['a'])) AS r(x, y)",
        [True, True],
    ),
    ("SELECT to_jsonb(e) AS doc FROM items i LEFT JOIN empty e ON e.id = i.id", [True]),
    (
        "SELECT count(e.*) AS n, to_jsonb(i.*) AS doc "
        "FROM items i LEFT JOIN empty e ON true GROUP BY i.*",
        [False, False],
    ),
]


@pytest.mark.parametrize(("sql", "nullable"), NULLABILITY)
async def test_nullability_is_exact_and_safe(
    pg: asyncpg.Connection[Any], sql: str, nullable: list[bool]
) -> None:
    a = run(sql)
    assert [c.nullable for c in a.columns] == nullable
    for row in await pg.fetch(a.sql):
        for value, col in zip(row, a.columns, strict=True):
            assert col.nullable or value is not None, f"{col.name} is NULL"


@pytest.mark.parametrize(
    ("sql", "one_row"),
    [
        ("SELECT count(*) AS n, max(a) AS m FROM empty", True),
        # aggregates without GROUP BY, cut to no row: HAVING, LIMIT, OFFSET
        ("SELECT count(*) AS n FROM empty HAVING count(*) > 5", False),
        ("SELECT count(*) AS n FROM empty LIMIT @n", False),
        ("SELECT count(*) AS n FROM empty OFFSET @n", False),
        # one row per branch, a window per row, or not a SELECT at all
        ("SELECT count(*) AS n FROM empty UNION ALL SELECT count(*) FROM empty", False),
        ("SELECT count(*) OVER w AS n FROM empty WINDOW w AS ()", False),
        ("DELETE FROM items WHERE id = @id RETURNING a", False),
        (
            "INSERT INTO items (id, a) VALUES (@id, 1) "
            "ON CONFLICT (id) DO UPDATE SET a = 2 RETURNING a",
            True,
        ),
        (
            "INSERT INTO items (id, a) VALUES (@id, 1) ON CONFLICT (id) DO NOTHING RETURNING a",
            False,
        ),
        (
            "INSERT INTO items (id, a) VALUES (@id, 1) ON CONFLICT (id) DO UPDATE SET a = 2 "
            "WHERE items.a < 0 RETURNING a",
            False,
        ),
    ],
)
async def test_statements_that_always_return_one_row(
    pg: asyncpg.Connection[Any], sql: str, one_row: bool
) -> None:
    """`:one` of these is not Optional; run twice (insert, then conflict) on the server."""
    a = run(sql, "one")
    assert a.always_one_row == one_row
    tx = pg.transaction()
    await tx.start()
    try:
        for _ in range(2):
            rows = await pg.fetch(a.sql, *([1] * len(a.params)))
            assert len(rows) == 1 or not one_row
    finally:
        await tx.rollback()


async def test_out_columns_table_is_the_server_s(pg: asyncpg.Connection[Any]) -> None:
    """The OUT columns listed for record-returning built-ins are pg_proc's."""
    from codegen.analyze.nullability import OUT_COLUMNS

    for name, cols in OUT_COLUMNS.items():
        rows = await pg.fetch(
            """SELECT n, format_type(t, NULL) AS t
               FROM pg_proc p, unnest(p.proargnames, p.proallargtypes, p.proargmodes)
                   AS a(n, t, m)
               WHERE p.proname = $1 AND a.m IN ('o', 't')""",
            name,
        )
        assert [(r["n"], r["t"]) for r in rows] == [(n, t) for n, t, _ in cols], name


# Strict functions and operators that still return NULL for non-NULL input: each must be
# nullable, and the server shows the NULL.
NULL_ON_VALUE = [
    "current_setting('codegen.missing', true)",
    "regexp_substr('abc', 'z')",
    "to_regproc('nope')",
    "to_regprocedure('nope()')",
    "to_regoper('!!!')",
    "to_regoperator('!!!(int4, int4)')",
    "to_regrole('nope')",
    "to_regnamespace('nope')",
    "to_regcollation('nope')",
    "jsonb_object_field('{}'::jsonb, 'k')",
    "jsonb_object_field_text('{\"k\": null}'::jsonb, 'k')",
    "json_object_field('{}'::json, 'k')",
    "json_object_field_text('{}'::json, 'k')",
    "jsonb_array_element('[]'::jsonb, 0)",
    "jsonb_array_element_text('[null]'::jsonb, 0)",
    "json_array_element('[]'::json, 0)",
    "json_array_element_text('[]'::json, 0)",
    "jsonb_path_match('{}'::jsonb, 'strict $.a == 1', '{}', true)",
    "jsonb_path_exists('{}'::jsonb, 'strict $.a', '{}', true)",
    "'{}'::jsonb @@ 'strict $.a == 1'",
    "'{}'::jsonb @? 'strict $.a'",
    "lower('empty'::int4range)",
    "upper('[1,)'::int4range)",
]


@pytest.mark.parametrize("expression", NULL_ON_VALUE)
async def test_null_for_some_values_is_nullable(
    pg: asyncpg.Connection[Any], expression: str
) -> None:
    a = run(f"SELECT {expression} AS v")
    assert a.columns[0].nullable
    assert await pg.fetchval(a.sql) is None


async def test_current_schema_is_null_without_a_schema_on_the_path(
    pg: asyncpg.Connection[Any],
) -> None:
    a = run("SELECT CURRENT_SCHEMA AS s, lower('abc') AS l")
    assert [c.nullable for c in a.columns] == [True, False]
    async with pg.transaction():
        await pg.execute("SET LOCAL search_path = nope")
        assert await pg.fetchval(a.sql) is None
