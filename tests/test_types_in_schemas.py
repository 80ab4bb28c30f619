"""Enums, domains, ranges and composite types outside `public` work like those in it.

PostgreSQL keys a type by schema and name, and so does the catalog: `app.mood` is not
`mood`. The generated package is the proof: it round-trips a row through a real server
with the enum decoded as its StrEnum (the codec installed for the enum's own schema), the
domain as its base type and the range as asyncpg.Range; mypy --strict accepts it; and
`verify` finds every type equal to what PostgreSQL reports.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import asyncpg
import pytest

from codegen import cli
from tests.conftest import generated_project, mypy_strict

SCHEMA = """
CREATE SCHEMA app;
CREATE SCHEMA other;
CREATE TYPE app.mood AS ENUM ('sad', 'happy');
CREATE TYPE public.mood AS ENUM ('meh');  -- same name, another schema: another type
CREATE DOMAIN app.posint AS int CHECK (VALUE > 0);
CREATE TYPE app.floatrange AS RANGE (subtype = float8);
CREATE TYPE other.tag AS ENUM ('a', 'b');
ALTER TYPE other.tag ADD VALUE 'c';
ALTER TYPE other.tag SET SCHEMA app;
CREATE TABLE app.items (
    id int PRIMARY KEY,
    m app.mood NOT NULL,
    moods app.mood[],
    plain mood,
    n app.posint,
    r app.floatrange,
    t app.tag
);
"""
QUERIES = """
-- name: AddItem :exec
INSERT INTO app.items (id, m, moods, plain, n, r, t)
VALUES (@id, @m, @moods, @plain, @n, @r, @t);

-- name: GetItem :one
SELECT * FROM app.items WHERE id = @id;

-- name: ItemsInMood :many
SELECT id FROM app.items WHERE m = @m::app.mood AND t = ANY(@tags::app.tag[]);
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return generated_project(tmp_path, SCHEMA, QUERIES, "items")


def test_types_keep_their_schema(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    models = (project / "items_db" / "models.py").read_text()
    assert "class AppMood(enum.StrEnum):" in models
    assert "class Mood(enum.StrEnum):" in models
    assert "class AppTag(enum.StrEnum):" in models and 'C = "c"' in models
    assert "def m(self) -> AppMood: ..." in models
    assert "def moods(self) -> list[AppMood] | None: ..." in models
    assert "def plain(self) -> Mood | None: ..." in models
    assert "def n(self) -> int | None: ..." in models
    assert "def r(self) -> asyncpg.Range[float] | None: ..." in models
    check = mypy_strict(project, "items_db")
    assert check.returncode == 0, check.stdout + check.stderr


def test_verify_agrees(project: Path, admin_dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    config = str(project / "pyproject.toml")
    assert cli.main(["verify", "--config", config, "--dsn", admin_dsn]) == 0
    assert "0 rejected by PostgreSQL, 0 type mismatches" in capsys.readouterr().out


async def test_round_trip(project: Path, empty_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(project))
    items = importlib.import_module("items_db.items")
    models = importlib.import_module("items_db.models")
    runtime = importlib.import_module("items_db.runtime")
    conn = await asyncpg.connect(empty_db)
    try:
        await conn.execute(SCHEMA)
        await runtime.init_connection(conn)  # the codecs need the types to exist
        await items.add_item(
            conn,
            id=1,
            m=models.AppMood.HAPPY,
            moods=[models.AppMood.SAD],
            plain=models.Mood.MEH,
            n=7,
            r=asyncpg.Range(0.5, 1.5),
            t=models.AppTag.C,
        )
        row = await items.get_item(conn, id=1)
        found = await items.items_in_mood(conn, m=models.AppMood.HAPPY, tags=["c"])
    finally:
        await conn.close()
    assert row is not None
    assert type(row.m) is models.AppMood and row.m is models.AppMood.HAPPY
    assert row.moods == [models.AppMood.SAD] and type(row.moods[0]) is models.AppMood
    assert type(row.plain) is models.Mood
    assert row.n == 7 and row.r == asyncpg.Range(0.5, 1.5)
    assert type(row.t) is models.AppTag and row.t is models.AppTag.C
    assert found == [1]
