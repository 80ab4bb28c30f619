"""Errors told apart by kind, never by text: the catalog's errors carry PostgreSQL's SQLSTATE
for the same failure (as sqlc's `sqlerr`), errors are frozen with `offset` None where the
spot is not known, and a foreign key keeps the migration that declares it."""

from __future__ import annotations

import re
from pathlib import Path

import asyncpg
import pytest

from codegen import analyze, catalog, parse, pipeline, vet
from codegen import config as cfg
from codegen.errors import CodegenError, SourceText, SqlState
from tests.conftest import ROOT, generated_project

BASE = """\
CREATE SCHEMA s;
CREATE TABLE t (id int PRIMARY KEY, a int);
CREATE VIEW v AS SELECT id, a FROM t;
CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql AS 'SELECT x';
"""

# Statements the catalog refuses, as PostgreSQL refuses them after BASE.
BAD = [
    "CREATE TABLE t (x int);",
    "CREATE TABLE w (x int, x text);",
    "CREATE VIEW v AS SELECT 1 AS one;",
    "CREATE SEQUENCE t;",
    "CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql AS 'SELECT 1';",
    "CREATE TABLE w (x no_such_type);",
    "CREATE TABLE nowhere.w (x int);",
    "CREATE INDEX ON missing (x);",
    "DROP TABLE missing;",
    "DROP SCHEMA missing;",
    "ALTER TABLE t DROP COLUMN missing;",
    "ALTER TABLE t ADD PRIMARY KEY (missing);",
    "ALTER TYPE missing ADD VALUE 'x';",
    "DROP TABLE t;",
    "ALTER TABLE t ALTER COLUMN a TYPE bigint;",
    "CREATE TABLE w (x int REFERENCES missing (id));",
]


def build(*migrations: str) -> catalog.Catalog:
    files = [(f"schema/{i:04d}_m.sql", sql) for i, sql in enumerate(migrations, 1)]
    return catalog.build(files, analyze.view_columns)


@pytest.mark.parametrize("bad", BAD)
async def test_catalog_errors_carry_postgresqls_sqlstate(bad: str, empty_db: str) -> None:
    with pytest.raises(CodegenError) as ours:
        build(BASE, bad)
    conn = await asyncpg.connect(empty_db)
    try:
        await conn.execute(BASE)
        with pytest.raises(asyncpg.PostgresError) as server:
            await conn.execute(bad)
    finally:
        await conn.close()
    assert ours.value.sqlstate == server.value.sqlstate, (ours.value.message, server.value)
    assert ours.value.location is not None and ours.value.location[1] == 1  # at the statement


async def test_a_do_block_skips_only_what_exists_already(empty_db: str) -> None:
    """A DO block replays its statements and skips one that creates what exists (the
    block's guard); any other failure is an error, though its text says "already exists"
    (the name of a type here), as PostgreSQL's is."""
    guarded = (
        "CREATE TABLE t (id int);\n"
        "DO $$ BEGIN CREATE TABLE t (id int); EXCEPTION WHEN duplicate_table THEN null; END $$;\n"
    )
    assert [c.name for c in build(guarded).tables["t"].columns] == ["id"]
    bad = 'DO $$ BEGIN CREATE TABLE w (x "already exists"); END $$;\n'
    with pytest.raises(CodegenError) as ours:
        build(bad)
    assert ours.value.message == 'in this DO block: type "already exists" does not exist'
    assert ours.value.sqlstate == SqlState.UNDEFINED_OBJECT
    conn = await asyncpg.connect(empty_db)
    try:
        with pytest.raises(asyncpg.PostgresError) as server:
            await conn.execute(bad)
    finally:
        await conn.close()
    assert server.value.sqlstate == ours.value.sqlstate


def test_errors_are_frozen_and_an_unknown_spot_is_none() -> None:
    source = SourceText("schema/0001.sql", "SELECT 1;\nSELECT 2;\n")
    err = CodegenError("bad", source, sqlstate=SqlState.UNDEFINED_TABLE)
    assert err.offset is None and err.location == ("schema/0001.sql", 1, 1)
    for field in ("message", "source", "offset", "sqlstate"):
        with pytest.raises(AttributeError):
            setattr(err, field, None)
    placed = err.at(source, 10)
    assert (placed.offset, placed.sqlstate, placed.location) == (
        10,
        SqlState.UNDEFINED_TABLE,
        ("schema/0001.sql", 2, 1),
    )
    assert CodegenError("x", source, 0).offset == 0  # the first character is a spot
    assert CodegenError("x", source, -1).offset is None  # pglast's "no location"


def test_vet_names_a_foreign_key_from_the_catalog_alone(tmp_path: Path) -> None:
    """The catalog's foreign key keeps its migration: vet shows the line it is declared on
    without reading any file again."""
    schema = (
        "CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE c (\n    p_id int REFERENCES p\n);\n"
    )
    root = generated_project(tmp_path, schema, "-- name: One :one\nSELECT 1 AS one;\n", "fk")
    result = pipeline.compile_project(cfg.load(root / "pyproject.toml"))
    [fk] = result.catalog.tables["c"].foreign_keys
    assert fk.path == "schema/0001_schema.sql" and fk.source.text == schema
    [finding] = vet.vet(result, set())
    lines = finding.error.render().splitlines()
    assert lines[0].startswith("schema/0001_schema.sql:3:")
    assert lines[1].strip() == "p_id int REFERENCES p"


_BY_TEXT = re.compile(r"""["'][^"'\n]*["']\s+(?:not\s+)?in\s+(?:str\(\w+\)|\w+\.message\b)""")


def test_no_error_is_told_apart_by_its_text() -> None:
    """Code tells an error's kind by its SQLSTATE or class, never by a phrase of its text."""
    found = [
        f"{path.relative_to(ROOT)}:{text[: m.start()].count(chr(10)) + 1}"
        for top in ("codegen", "src")
        for path in sorted((ROOT / top).rglob("*.py"))
        for text in [path.read_text()]
        for m in _BY_TEXT.finditer(text)
    ]
    assert found == []


# Queries the analyzer refuses, as PostgreSQL's PREPARE refuses them against QUERY_SCHEMA.
QUERY_SCHEMA = "CREATE TABLE a (id int PRIMARY KEY, x int);\nCREATE TABLE b (id int, y int);\n"
BAD_QUERIES = [
    "SELECT * FROM nope",
    "SELECT nope FROM a",
    "SELECT a.nope FROM a",
    "SELECT z.id FROM a",
    "SELECT id FROM a, b",
    "SELECT * FROM a JOIN b USING (nope)",
    "INSERT INTO a (nope) VALUES (1)",
    "UPDATE a SET nope = 1",
    "INSERT INTO a (id) VALUES (1) ON CONFLICT (nope) DO NOTHING",
]


@pytest.mark.parametrize("sql", BAD_QUERIES)
async def test_query_errors_carry_postgresqls_sqlstate(sql: str, empty_db: str) -> None:
    cat = catalog.build([("schema/0001_m.sql", QUERY_SCHEMA)], analyze.view_columns)
    [query] = parse.parse_file("queries/q.sql", f"-- name: Q :exec\n{sql};\n")
    with pytest.raises(CodegenError) as ours:
        analyze.analyze(query, cat)
    conn = await asyncpg.connect(empty_db)
    try:
        await conn.execute(QUERY_SCHEMA)
        with pytest.raises(asyncpg.PostgresError) as server:
            await conn.prepare(sql)
    finally:
        await conn.close()
    assert ours.value.sqlstate == server.value.sqlstate, (ours.value.message, server.value)
