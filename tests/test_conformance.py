"""The conformance suite: real-world PostgreSQL as data, judged by PostgreSQL.

Each `tests/cases/<name>/` holds a schema (`schema.sql` or a `schema/` folder), queries
(`queries.sql` or `queries/`), or an sqlc project (`sqlc.yaml`/`sqlc.json`) or a
`pyproject.toml` with `[tool.codegen]`; and `expected.json`: the `describe` output reduced
to names, commands, parameter and column types and nullability, or
`{"error": "<substring>", "line": N}` for input that must be refused there. A case
written for a newer PostgreSQL declares the major it needs: `postgresql = "17"` in its
own configuration, or a `postgresql.txt` holding the number beside expected.json.

`describe` runs in-process on every case; `verify` loads each accepted case's schema into
a scratch database and PREPAREs its queries, so every expected type is PostgreSQL's: on a
real server of every major the run judges (`tests/pgversions.majors_to_judge`) from the
case's own on, the project targeting that major. A refused case is judged on the server of
the major it targets. A
refused case must be refused by PostgreSQL too, or say in `limitation.txt` why not.
`UPDATE_CASES=1` rewrites expected.json from describe (review the diff: types are judged
by verify, nullability by running the query).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from codegen import catalog, dbutil, parse, pipeline, verify, versions
from codegen import config as cfg
from codegen.errors import CodegenError, CodegenErrors
from tests import pgversions
from tests.conftest import unless_the_embedded_server_lacks_it

CASES = Path(__file__).with_name("cases")
NAMES = sorted(p.name for p in CASES.iterdir() if (p / "expected.json").exists())
REFUSED = {
    n for n in NAMES if isinstance(json.loads((CASES / n / "expected.json").read_text()), dict)
}


def case_config(case: Path) -> cfg.Config:
    """The case's own configuration, or its schema and queries beside expected.json (and
    the major in `postgresql.txt`, else the newest)."""
    if (case / "pyproject.toml").exists() or any((case / n).exists() for n in cfg.SQLC_NAMES):
        return cfg.load(case / "pyproject.toml")
    schema = case / "schema" if (case / "schema").is_dir() else case / "schema.sql"
    queries = case / "queries" if (case / "queries").is_dir() else case / "queries.sql"
    declared = case / "postgresql.txt"
    major = versions.parse(declared.read_text()) if declared.exists() else versions.NEWEST
    assert major is not None, f"{declared}: a supported major expected"
    return cfg.Config(
        root=case, schema=schema, queries=queries, package=case / "db", postgresql=major
    )


def case_major(name: str) -> int:
    """The major a case targets: the oldest it may be verified on."""
    try:
        return case_config(CASES / name).postgresql
    except CodegenError:
        return versions.SUPPORTED[0]


def minimum_major(name: str) -> int:
    """The oldest major an accepted case runs on: the one it declares, else 15 (every case
    written before targets were declared is PostgreSQL 15 SQL)."""
    case = CASES / name
    pyproject = case / "pyproject.toml"
    declared = (case / "postgresql.txt").exists() or (
        pyproject.exists() and "postgresql =" in pyproject.read_text()
    )
    return case_major(name) if declared else versions.SUPPORTED[0]


def describe(
    case: Path, major: int | None = None
) -> tuple[cfg.Config | None, pipeline.Result | None, Any]:
    """(config, result or None, the reduced describe output or the first error), the
    project targeting `major` when given."""
    config = None
    try:
        config = case_config(case)
        if major is not None:
            config = replace(config, postgresql=major)
        result = pipeline.compile_project(config)
    except (CodegenError, CodegenErrors) as exc:
        err = exc.errors[0] if isinstance(exc, CodegenErrors) else exc
        line = err.location[1] if err.location else 0
        return config, None, {"error": err.message, "line": line}
    queries = [
        {
            "name": a.query.name,
            "command": str(a.query.command),
            "parameters": [
                {"name": p.name, "type": p.type, "nullable": p.nullable} for p in a.params
            ],
            "columns": [
                {"name": c.name, "type": c.type, "nullable": c.nullable} for c in a.columns
            ],
        }
        for analyses in result.files.values()
        for a in analyses
    ]
    return config, result, queries


def _typed(item: Any) -> dict[str, object]:
    return {"name": item.name, "type": item.type, "nullable": item.nullable}


def _matches(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected["error"] in actual["error"] and expected["line"] == actual["line"]
    return bool(expected == actual)


@pytest.mark.parametrize("name", NAMES)
def test_describe(name: str) -> None:
    case = CASES / name
    _, _, actual = describe(case)
    path = case / "expected.json"
    expected = json.loads(path.read_text())
    if os.environ.get("UPDATE_CASES") and not _matches(expected, actual):
        path.write_text(json.dumps(actual, indent=2) + "\n")
        expected = actual
    assert _matches(expected, actual), json.dumps(actual, indent=2)


def test_enough_cases() -> None:
    assert len(NAMES) >= 130, NAMES


_EXTENSION = re.compile(r'CREATE\s+EXTENSION\s+(?:IF\s+NOT\s+EXISTS\s+)?"?([\w-]+)', re.I)


def server_has(name: str, major: int) -> bool:
    """The server of `major` can load the case: it ships every extension the case creates
    and every feature the case lists in `needs.txt` (`pgversions.lacks`)."""
    case = CASES / name
    text = "".join(p.read_text() for p in sorted(case.rglob("*.sql")))
    wanted = {m.lower() for m in _EXTENSION.findall(text)} - {"plpgsql"}
    if not all(pgversions.ships(major, e) for e in wanted):
        return False
    needs = case / "needs.txt"
    features = set(needs.read_text().split()) if needs.exists() else set()
    return not features & pgversions.lacks(major)


@pytest.mark.parametrize(
    ("name", "major"),
    [
        (n, m)
        for n in NAMES
        if n not in REFUSED
        for m in pgversions.majors_to_judge()
        if m >= minimum_major(n) and server_has(n, m)
    ],
)
async def test_verify(name: str, major: int, admin_dsn: str) -> None:
    """PostgreSQL of `major` agrees: the case's schema loads and every query prepares with
    exactly the parameter and column types described, the project targeting that major.
    (Refused cases: `test_refused_as_postgresql`.)"""
    config, result, _ = describe(CASES / name, major)
    assert config is not None and result is not None
    dsn = await pgversions.major_dsn(admin_dsn, major)
    with unless_the_embedded_server_lacks_it():
        outcome = await verify.verify(config, result, dsn, scratch_prefix="conformance_")
    assert outcome.ok, [e.render() for e in outcome.rejected] + [m.what for m in outcome.mismatches]


async def postgresql_refuses(case: Path, line: int, admin_dsn: str) -> str | None:
    """PostgreSQL's own error for the refused part of a case: its schema does not load, or
    the query around `line` (the refusal's line) does not PREPARE; None when PostgreSQL
    takes both, or when the refusal is about the project itself (configuration, headers),
    which PostgreSQL never sees."""
    try:
        config = case_config(case)
        texts = [
            (p, catalog.forward_sql(pipeline.read_source(p, config)))
            for p in pipeline.query_files(config)
        ]
        queries = [q for p, text in texts for q in parse.parse_file(p.as_posix(), text)]
    except (CodegenError, CodegenErrors):
        return None
    async with dbutil.scratch_database(admin_dsn, prefix="conformance_") as dsn:
        conn = await asyncpg.connect(dsn)
        try:
            try:
                await verify.apply_schema(conn, config)
            except CodegenError as exc:
                return exc.message
            around = [q for q in queries if q.line <= line] or queries
            if not around:
                return None
            return await _prepare_and_run(conn, around[-1].sql)
        finally:
            await conn.close()


async def _prepare_and_run(conn: asyncpg.Connection[Any], sql: str) -> str | None:
    """PostgreSQL's error for a statement: at PREPARE, or else at its first run (with
    NULL arguments, rolled back) where the error is about the statement itself (class 42:
    a missing relation, no arbiter index for ON CONFLICT, a parameter where none may be),
    which PostgreSQL checks only when it plans or runs some statements."""
    try:
        stmt = await conn.prepare(sql)
    except asyncpg.PostgresError as exc:
        return str(exc)
    tx = conn.transaction()
    await tx.start()
    try:
        await stmt.fetch(*[None] * len(stmt.get_parameters()))
    except asyncpg.PostgresError as exc:
        if str(exc.sqlstate).startswith("42"):
            return str(exc)
    finally:
        await tx.rollback()
    return None


@pytest.mark.parametrize("name", sorted(REFUSED))
async def test_refused_as_postgresql(name: str, admin_dsn: str) -> None:
    """A refused case is refused by PostgreSQL too (its schema fails to load, or the
    refused query fails to PREPARE), unless the case says in `limitation.txt` why the
    generator refuses what PostgreSQL accepts: a rule of the tool (headers, commands,
    layouts) or a documented limit. Either way the claim is checked against the server."""
    case = CASES / name
    line = json.loads((case / "expected.json").read_text())["line"]
    dsn = await pgversions.major_dsn(admin_dsn, case_major(name))
    theirs = await postgresql_refuses(case, line, dsn)
    limitation = case / "limitation.txt"
    if limitation.exists():
        assert limitation.read_text().strip(), "limitation.txt must say why"
        assert theirs is None, f"PostgreSQL refuses it too ({theirs}): drop limitation.txt"
    else:
        assert theirs is not None, "PostgreSQL accepts it: fix the generator or add limitation.txt"
