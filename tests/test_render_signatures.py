"""Generated signatures say what the driver accepts: a NOT NULL
json/jsonb parameter takes no None (asyncpg would send SQL NULL and the INSERT would fail
at run time), `sqlc.narg` parameters default to None, and array parameters take any
sequence. Judged by mypy --strict on callers, and by the server for the None case.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from codegen import cli

SCHEMA = """
CREATE TABLE events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    doc jsonb NOT NULL,
    note text,
    tags text[] NOT NULL
);
"""
QUERIES = """
-- name: AddEvent :exec
INSERT INTO events (doc, note, tags) VALUES (@doc, sqlc.narg(note), @tags);

-- name: EventsTagged :many
SELECT id FROM events WHERE tags && @tags AND id = ANY(@ids::bigint[]);
"""
GOOD = """
from typing import Any

import asyncpg

from sig_db import q


async def use(conn: asyncpg.Connection[Any]) -> list[int]:
    await q.add_event(conn, doc={"a": [1, None]}, tags=("x", "y"))
    await q.add_event(conn, doc=[], note="n", tags=["x"])
    return await q.events_tagged(conn, tags=("x",), ids=range(3))
"""
BAD = """
from typing import Any

import asyncpg

from sig_db import q


async def use(conn: asyncpg.Connection[Any]) -> None:
    await q.add_event(conn, doc=None, tags=[])
"""
PARAMS_GOOD = """
from typing import Any

import asyncpg

from sig_db import q


async def use(conn: asyncpg.Connection[Any]) -> None:
    params = q.AddEventParams(doc={"a": 1}, tags=["x"])  # note: a narg, may be left out
    await q.add_event(conn, **params)
    params["note"] = "n"
    await q.add_event(conn, **params)
    await q.events_tagged(conn, **q.EventsTaggedParams(tags=("x",), ids=[1]))
"""
PARAMS_BAD = """
from sig_db import q

params = q.AddEventParams(doc={"a": 1})
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("signatures")
    (root / "schema").mkdir()
    (root / "queries").mkdir()
    (root / "pyproject.toml").write_text(
        '[tool.codegen]\nschema = "schema"\nqueries = "queries"\npackage = "sig_db"\n'
    )
    (root / "schema" / "0001_init.sql").write_text(SCHEMA)
    (root / "schema" / "0001_init.rollback.sql").write_text("DROP TABLE events;\n")
    (root / "queries" / "q.sql").write_text(QUERIES)
    assert cli.main(["generate", "--config", str(root / "pyproject.toml")]) == 0
    return root


def mypy(root: Path, caller: str) -> subprocess.CompletedProcess[str]:
    (root / "caller.py").write_text(caller)
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(root / ".mypy_cache"),
         "caller.py"],
        cwd=root, capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_narg_defaults_to_none_and_arrays_take_any_sequence(project: Path) -> None:
    result = mypy(project, GOOD)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_not_null_json_parameter_refuses_none(project: Path) -> None:
    result = mypy(project, BAD)
    assert result.returncode == 1
    assert 'Argument "doc" to "add_event" has incompatible type "None"' in result.stdout


async def test_none_for_a_not_null_jsonb_fails_on_the_server(admin_dsn: str) -> None:
    """Why: asyncpg sends None as SQL NULL, whatever the codec."""
    from codegen.dbutil import scratch_database

    async with scratch_database(admin_dsn) as dsn:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(SCHEMA)
            with pytest.raises(asyncpg.NotNullViolationError):
                await conn.execute(
                    "INSERT INTO events (doc, note, tags) VALUES ($1, $2, $3)", None, None, []
                )
        finally:
            await conn.close()


def test_each_query_has_a_params_typeddict_of_its_keywords(project: Path) -> None:
    """What a caller fills to call a query (the service's validated input): the same
    names and types as the function's keywords, a `sqlc.narg` one optional."""
    result = mypy(project, PARAMS_GOOD)
    assert result.returncode == 0, result.stdout + result.stderr
    result = mypy(project, PARAMS_BAD)
    assert result.returncode == 1
    assert 'Missing key "tags" for TypedDict "AddEventParams"' in result.stdout, result.stdout
