"""Names made once: analyze keeps PostgreSQL's names (`?column?`, a repeated `id`), describe
and the review docs show them, verify holds them equal to the server's, and only render
(codegen.naming) turns them into Python names."""

from __future__ import annotations

import ast
import dataclasses
import json
from pathlib import Path

import asyncpg

from codegen import cli, dbutil, naming, pipeline, verify
from codegen import config as cfg
from codegen.dba import docs
from tests.conftest import ROOT, generated_project

SCHEMA = """\
CREATE TABLE authors (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE books (
    id bigint PRIMARY KEY,
    author_id bigint NOT NULL REFERENCES authors (id),
    title text NOT NULL
);
"""
QUERIES = """\
-- name: Pairs :many
SELECT 1, a.id, b.id, a.name, 2
FROM authors a JOIN books b ON b.author_id = a.id
WHERE a.id = $1 OR b.id = $2;
"""


def compiled(root: Path) -> tuple[cfg.Config, pipeline.Result]:
    config = cfg.load(generated_project(root, SCHEMA, QUERIES, "pairs") / "pyproject.toml")
    return config, pipeline.compile_project(config)


async def server_names(admin_dsn: str, config: cfg.Config, sql: str) -> list[str]:
    """The result column names PostgreSQL itself reports for `sql`."""
    async with dbutil.scratch_database(admin_dsn, prefix="names_") as dsn:
        conn = await asyncpg.connect(dsn)
        try:
            await verify.apply_schema(conn, config)
            return [a.name for a in (await conn.prepare(sql)).get_attributes()]
        finally:
            await conn.close()


async def test_describe_and_docs_show_the_servers_column_names(
    admin_dsn: str, tmp_path: Path
) -> None:
    config, result = compiled(tmp_path)
    [a] = [a for v in result.files.values() for a in v]
    names = await server_names(admin_dsn, config, a.query.sql)
    assert "?column?" in names and names.count("id") == 2  # what this test is about
    [described] = json.loads(json.dumps(cli.describe_json(result)))
    assert [c["name"] for c in described["columns"]] == names
    assert [p["name"] for p in described["parameters"]] == ["id", "id"]
    review = docs.queries_md(result.files, result.catalog, "..")
    assert all(f"| {n} |" in review for n in names)
    assert "id_2" not in review and "column_1" not in review
    assert (await verify.verify(config, result, admin_dsn)).ok


async def test_verify_refuses_a_name_the_server_does_not_give(
    admin_dsn: str, tmp_path: Path
) -> None:
    """A repeated `id` renamed `id_2`, or `?column?` numbered: no longer PostgreSQL's."""
    config, result = compiled(tmp_path)
    [a] = [a for v in result.files.values() for a in v]
    renamed = [
        dataclasses.replace(c, name=n)
        for c, n in zip(a.columns, ["column_1", "id", "id_2", "name", "?column?"], strict=True)
    ]
    files = {p: [dataclasses.replace(a, columns=tuple(renamed))] for p in result.files}
    outcome = await verify.verify(config, pipeline.Result(result.catalog, files), admin_dsn)
    assert [m.what for m in outcome.mismatches] == [
        "column 1: server names it ?column?, not column_1",
        "column 3: server names it id, not id_2",
    ]


def test_render_makes_the_python_names(tmp_path: Path) -> None:
    """The generated function takes `id, id_2`; its row's fields are distinct identifiers."""
    compiled(tmp_path)
    module = ast.parse((tmp_path / "pairs_db" / "pairs.py").read_text())
    func = next(
        n for n in ast.walk(module) if isinstance(n, ast.AsyncFunctionDef) and n.name == "pairs"
    )
    assert [a.arg for a in func.args.kwonlyargs] == ["id", "id_2"]
    fields = next(
        n.value
        for n in ast.walk(module)
        if isinstance(n, ast.Assign) and any(getattr(t, "id", "") == "_fields" for t in n.targets)
    )
    assert ast.literal_eval(fields) == ("column_1", "id", "id_2", "name", "column_5")


def test_analyze_never_imports_naming() -> None:
    for path in sorted((ROOT / "codegen" / "analyze").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                names = [f"{node.module}.{a.name}" for a in node.names] + [str(node.module)]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            assert "codegen.naming" not in names, path


def test_python_names_of_repeats_as_before() -> None:
    """Render numbers repeats of SQL names first, then escapes: `class` twice is `class_`,
    `class_2` (the names analyze used to make), and `?column?` is numbered by position."""
    assert naming.parameter_names(["class", "class", "id"]) == ["class_", "class_2", "id"]
    assert naming.column_names(["?column?", "id", "id", "?column?"]) == [
        "column_1",
        "id",
        "id_2",
        "column_4",
    ]
