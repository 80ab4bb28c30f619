"""Range and multirange columns come back as asyncpg.Range (a list of them for a
multirange), so their annotations must say so — not `str`, which they are not.

PostgreSQL and asyncpg are the judges: the generated package round-trips a row through a
real server and the values are what the annotations promise; mypy --strict accepts it.
"""

from __future__ import annotations

import datetime
import importlib
from pathlib import Path

import asyncpg
import pytest

from tests.conftest import generated_project, mypy_strict

SCHEMA = """
CREATE TYPE floatrange AS RANGE (subtype = float8);
CREATE TABLE spans (
    id int PRIMARY KEY,
    during tstzrange NOT NULL,
    ints int4range,
    many int8multirange,
    f floatrange,
    fm floatmultirange,
    days daterange[]
);
"""
QUERIES = """
-- name: InsertSpan :exec
INSERT INTO spans (id, during, ints, many, f, fm, days)
VALUES (@id, @during, @ints, @many, @f, @fm, @days);

-- name: GetSpan :one
SELECT * FROM spans WHERE id = @id;
"""


@pytest.fixture
def ranges_project(tmp_path: Path) -> Path:
    return generated_project(tmp_path, SCHEMA, QUERIES, "spans")


def test_range_annotations(ranges_project: Path) -> None:
    models = (ranges_project / "spans_db" / "models.py").read_text()
    assert "def during(self) -> asyncpg.Range[datetime.datetime]: ...\n" in models
    assert "def ints(self) -> asyncpg.Range[int] | None: ...\n" in models
    assert "def many(self) -> list[asyncpg.Range[int]] | None: ...\n" in models
    assert "def f(self) -> asyncpg.Range[float] | None: ...\n" in models
    assert "def fm(self) -> list[asyncpg.Range[float]] | None: ...\n" in models
    assert "def days(self) -> list[asyncpg.Range[datetime.date]] | None: ...\n" in models
    check = mypy_strict(ranges_project, "spans_db")
    assert check.returncode == 0, check.stdout + check.stderr


async def test_ranges_round_trip(
    ranges_project: Path, empty_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(ranges_project))
    spans = importlib.import_module("spans_db.spans")
    conn = await asyncpg.connect(empty_db)
    try:
        await conn.execute(SCHEMA)
        utc = datetime.UTC
        during = asyncpg.Range(datetime.datetime(2026, 1, 1, tzinfo=utc), None)
        many = [asyncpg.Range(1, 3), asyncpg.Range(5, 8)]
        days = [asyncpg.Range(datetime.date(2026, 1, 1), datetime.date(2026, 2, 1))]
        await spans.insert_span(
            conn,
            id=1,
            during=during,
            ints=asyncpg.Range(1, 10),
            many=many,
            f=asyncpg.Range(0.5, 1.5),
            fm=[asyncpg.Range(0.0, 1.0)],
            days=days,
        )
        row = await spans.get_span(conn, id=1)
    finally:
        await conn.close()
    assert row is not None
    assert row.during == during and row.ints == asyncpg.Range(1, 10) and row.many == many
    assert row.f == asyncpg.Range(0.5, 1.5) and row.fm == [asyncpg.Range(0.0, 1.0)]
    assert row.days == days
