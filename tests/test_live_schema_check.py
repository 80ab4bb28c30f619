"""The generated runtime's opt-in start-up check for drift: `create_pool(...,
check_schema=True)` fails fast, naming each difference, when the live database is not the
schema the code was generated against in a way the code would notice."""

from __future__ import annotations

import asyncpg
import pytest

from chatdb.db import runtime
from codegen import config as cfg
from codegen import pipeline
from tests.conftest import ROOT


def _catalog() -> pipeline.Result:
    return pipeline.compile_project(cfg.load(ROOT / "pyproject.toml"))


async def test_a_migrated_database_passes_and_added_columns_are_fine(migrated_db: str) -> None:
    conn = await asyncpg.connect(migrated_db)
    try:
        for table in _catalog().catalog.tables.values():
            await conn.execute(f'ALTER TABLE "{table.name}" ADD COLUMN added_later text')
    finally:
        await conn.close()
    pool = await runtime.create_pool(migrated_db, min_size=1, max_size=1, check_schema=True)
    await pool.close()


def test_the_expected_schema_is_the_catalog_s() -> None:
    """EXPECTED is derived from the migrations: every table and column, in order."""
    catalog = _catalog().catalog
    expected = {
        ("public", t.name): tuple((c.name, c.type, c.not_null) for c in t.columns)
        for t in catalog.tables.values()
    }
    assert expected == runtime.EXPECTED and len(expected) >= 5


async def test_each_difference_the_code_would_notice_is_named(migrated_db: str) -> None:
    catalog = _catalog().catalog
    tables = sorted(
        (t for t in catalog.tables.values() if len(t.columns) >= 3), key=lambda t: t.name
    )
    first, second, third = tables[0], tables[1], tables[2]
    dropped = first.columns[-1].name
    retyped = next(
        c for c in second.columns if c.type == "text" and c.name not in second.primary_key
    )
    required = next(c for c in third.columns if c.not_null and c.name not in third.primary_key)
    new_type = "varchar"  # what a hand-run migration might do to a text column
    conn = await asyncpg.connect(migrated_db)
    try:
        await conn.execute(f'ALTER TABLE "{first.name}" DROP COLUMN "{dropped}" CASCADE')
        await conn.execute(
            f'ALTER TABLE "{second.name}" ALTER COLUMN "{retyped.name}" TYPE {new_type}'
        )
        await conn.execute(
            f'ALTER TABLE "{third.name}" ALTER COLUMN "{required.name}" DROP NOT NULL'
        )
    except asyncpg.PostgresError as exc:  # a column another object depends on: say which
        pytest.fail(f"could not change the schema for the test: {exc}")
    finally:
        await conn.close()
    with pytest.raises(runtime.SchemaMismatch) as raised:
        await runtime.create_pool(migrated_db, min_size=1, max_size=1, check_schema=True)
    assert sorted(raised.value.differences) == sorted(
        [
            f"public.{first.name}.{dropped} is missing",
            f"public.{second.name}.{retyped.name} is {new_type}, the code reads {retyped.type}",
            f"public.{third.name}.{required.name} is nullable, the code expects NOT NULL",
        ]
    )


async def test_a_missing_table_is_named(migrated_db: str) -> None:
    catalog = _catalog().catalog
    referenced = {fk.ref_table for t in catalog.tables.values() for fk in t.foreign_keys}
    gone = sorted(t for t in catalog.tables if t not in referenced)[0]
    conn = await asyncpg.connect(migrated_db)
    try:
        await conn.execute(f'DROP TABLE "{gone}"')
    finally:
        await conn.close()
    with pytest.raises(runtime.SchemaMismatch) as raised:
        await runtime.create_pool(migrated_db, min_size=1, max_size=1, check_schema=True)
    assert raised.value.differences == [f"table public.{gone} is missing"]
