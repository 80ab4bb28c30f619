"""Shared fixtures: a real PostgreSQL server and a fresh database per test that needs one."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest

from tests import pgcluster

ROOT = Path(__file__).resolve().parent.parent


def run_codegen(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`python -m codegen ARGS` in a new process, as a user runs it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "codegen", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


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


async def admin_execute(admin_dsn: str, sql: str) -> None:
    """Run one statement (CREATE/DROP DATABASE) on the admin connection."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@asynccontextmanager
async def scratch_database(admin_dsn: str, template: str | None = None) -> AsyncIterator[str]:
    """Create a database (optionally from a template), yield its DSN, drop it afterwards."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    suffix = f' TEMPLATE "{template}"' if template else ""
    await admin_execute(admin_dsn, f'CREATE DATABASE "{name}"{suffix}')
    try:
        yield dsn_for(admin_dsn, name)
    finally:
        await admin_execute(admin_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def empty_db(admin_dsn: str) -> AsyncIterator[str]:
    """A brand-new, empty database, dropped afterwards. Yields its DSN."""
    async with scratch_database(admin_dsn) as dsn:
        yield dsn


@pytest.fixture(scope="session")
def migrated_template(admin_dsn: str) -> Iterator[str]:
    """A database with every migration applied, used as a template for fast copies."""
    import asyncio

    from codegen import migrate

    name = f"tmpl_{uuid.uuid4().hex[:12]}"
    asyncio.run(admin_execute(admin_dsn, f'CREATE DATABASE "{name}"'))
    try:
        migrate.apply(dsn_for(admin_dsn, name), ROOT / "schema")
        yield name
    finally:
        asyncio.run(admin_execute(admin_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def migrated_db(admin_dsn: str, migrated_template: str) -> AsyncIterator[str]:
    """A fresh database at the latest migration (a copy of the template). Yields its DSN."""
    async with scratch_database(admin_dsn, migrated_template) as dsn:
        yield dsn
