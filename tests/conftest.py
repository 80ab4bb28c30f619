"""Shared fixtures: a real PostgreSQL server and a fresh database per test that needs one."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from tests import pgcluster

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def admin_dsn() -> Iterator[str]:
    """DSN of a server we may create databases on: DATABASE_URL, else a throwaway cluster."""
    url = os.environ.get("DATABASE_URL")
    if url:
        yield url
        return
    try:
        cluster = pgcluster.start_cluster()
    except pgcluster.NoPostgres as exc:
        pytest.exit(str(exc), returncode=3)
    try:
        yield cluster.dsn
    finally:
        cluster.remove()


def dsn_for(admin_dsn: str, dbname: str) -> str:
    base, _, _ = admin_dsn.rpartition("/")
    return f"{base}/{dbname}"


@pytest.fixture
async def empty_db(admin_dsn: str) -> AsyncIterator[str]:
    """A brand-new, empty database, dropped afterwards. Yields its DSN."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield dsn_for(admin_dsn, name)
    finally:
        conn = await asyncpg.connect(admin_dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


@pytest.fixture(scope="session")
def migrated_template(admin_dsn: str) -> Iterator[str]:
    """A database with every migration applied, used as a template for fast copies."""
    import asyncio

    from codegen import migrate

    name = f"tmpl_{uuid.uuid4().hex[:12]}"

    async def create() -> None:
        conn = await asyncpg.connect(admin_dsn)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    async def drop() -> None:
        conn = await asyncpg.connect(admin_dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(create())
    try:
        migrate.apply(dsn_for(admin_dsn, name), ROOT / "schema")
        yield name
    finally:
        asyncio.run(drop())


@pytest.fixture
async def migrated_db(admin_dsn: str, migrated_template: str) -> AsyncIterator[str]:
    """A fresh database at the latest migration (a copy of the template). Yields its DSN."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{migrated_template}"')
    finally:
        await conn.close()
    try:
        yield dsn_for(admin_dsn, name)
    finally:
        conn = await asyncpg.connect(admin_dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()
