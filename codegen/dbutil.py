"""Database plumbing shared by every command, test and tool: DSNs and scratch databases.

Why it exists: `verify`, the benchmarks, the tests and the README's example all need "the
same server and credentials, another database" and "a throwaway database, dropped
afterwards". Written once here, a DSN keeps its query string (`?sslmode=require`, `options`)
wherever it goes, passwords never reach a message, a refused connection or a missing
database is reported the same way everywhere, and the scratch name prefix (for servers
that only let a role create databases with certain names) is honoured by all of them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from urllib.parse import unquote, urlsplit, urlunsplit

import asyncpg
import psycopg

DEFAULT_SCRATCH_PREFIX = "codegen_scratch_"
_PREFIX_RE = re.compile(r"[a-z_][a-z0-9_]{0,39}")


class DatabaseUnavailable(Exception):
    """The server cannot be reached or refuses us: one line saying where and what to do."""


def dsn_with_database(dsn: str, name: str) -> str:
    """Same server, credentials and query string (`sslmode`, `options`), database `name`."""
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + name))


def database_of(dsn: str) -> str:
    """The database a DSN names ('' when it names none)."""
    return unquote(urlsplit(dsn).path.lstrip("/"))


def server_of(dsn: str) -> str:
    """`host:port` of a DSN, for messages (libpq's defaults when absent)."""
    try:
        parts = urlsplit(dsn)
        return f"{parts.hostname or 'localhost'}:{parts.port or 5432}"
    except ValueError:
        return "<unparsable DSN>"


def redact_dsn(dsn: str) -> str:
    """The DSN with its password replaced by `***`: DSNs appear in messages and CI logs."""
    try:
        parts = urlsplit(dsn)
        if parts.password is None:
            return dsn
        host = parts.netloc.rpartition("@")[2]
        return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))
    except ValueError:
        return "<unparsable DSN>"


def check_scratch_prefix(prefix: str) -> str:
    """`prefix` if it makes valid, unquoted-safe database names; else ValueError saying why."""
    if not _PREFIX_RE.fullmatch(prefix):
        raise ValueError(
            f"scratch database prefix {prefix!r} must be 1-40 lowercase letters, digits or "
            "underscores, not starting with a digit"
        )
    return prefix


def scratch_name(prefix: str = DEFAULT_SCRATCH_PREFIX) -> str:
    """A fresh database name: `prefix` and 16 random hex digits (within PostgreSQL's 63)."""
    return check_scratch_prefix(prefix) + uuid.uuid4().hex[:16]


def unavailable(dsn: str, exc: BaseException) -> DatabaseUnavailable:
    """Turn a connection failure into a message naming the server and what to check."""
    where = server_of(dsn)
    db = database_of(dsn)
    exc = _typed(dsn, exc)
    sqlstate = getattr(exc, "sqlstate", None) or getattr(
        getattr(exc, "diag", None), "sqlstate", None
    )
    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, asyncpg.InvalidCatalogNameError) or sqlstate == "3D000":
        return DatabaseUnavailable(
            f'database "{db}" does not exist on {where}: fix the database name in the DSN, '
            "or create the database first"
        )
    if isinstance(exc, ConnectionRefusedError):
        return DatabaseUnavailable(
            f"cannot connect to {where}: connection refused; is PostgreSQL running there "
            "and listening on that port? (check the host and port in the DSN)"
        )
    if isinstance(exc, TimeoutError):
        return DatabaseUnavailable(f"cannot connect to {where}: timed out")
    return DatabaseUnavailable(f"cannot connect to {redact_dsn(dsn)}: {text}")


def _typed(dsn: str, exc: BaseException) -> BaseException:
    """The failure by its kind. libpq (psycopg) reports a failure to start a session (no
    server, no database) without a SQLSTATE, as text only; the same connection attempted
    by asyncpg says what failed by its class and SQLSTATE, so that attempt's failure
    stands for psycopg's (psycopg's own when asyncpg connects after all)."""
    if not isinstance(exc, psycopg.OperationalError) or exc.sqlstate is not None:
        return exc

    async def attempt() -> None:
        conn = await asyncpg.connect(dsn, timeout=_PROBE_SECONDS)
        await conn.close()

    # A thread of its own: the caller may be synchronous code inside a running loop.
    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        try:
            thread.submit(asyncio.run, attempt()).result()
        except _CONNECT_ERRORS as typed:
            return typed
    return exc


_PROBE_SECONDS = 10.0
_CONNECT_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, psycopg.Error)


async def connect(dsn: str) -> asyncpg.Connection[asyncpg.Record]:
    """asyncpg.connect, with a failure to connect raised as DatabaseUnavailable."""
    try:
        return await asyncpg.connect(dsn)
    except _CONNECT_ERRORS as exc:
        raise unavailable(dsn, exc) from exc


async def admin_execute(dsn: str, sql: str) -> None:
    """Run one statement (CREATE/DROP DATABASE) on its own connection."""
    conn = await connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _create_sql(name: str, template: str | None) -> str:
    return f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")


def _cannot_create(dsn: str, exc: BaseException) -> DatabaseUnavailable:
    return DatabaseUnavailable(
        f"cannot create a scratch database on {server_of(dsn)}: {exc}; connect as a role "
        "with CREATEDB, or choose a name prefix the server allows (--scratch-prefix, "
        "[tool.codegen] scratch_prefix)"
    )


def _drop_sql(name: str) -> str:
    return f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'


@asynccontextmanager
async def scratch_database(
    dsn: str, *, prefix: str = DEFAULT_SCRATCH_PREFIX, template: str | None = None
) -> AsyncIterator[str]:
    """Create a database on `dsn`'s server (optionally a copy of `template`), yield its DSN,
    drop it afterwards whatever happened."""
    name = scratch_name(prefix)
    try:
        await admin_execute(dsn, _create_sql(name, template))
    except asyncpg.InsufficientPrivilegeError as exc:
        raise _cannot_create(dsn, exc) from exc
    try:
        yield dsn_with_database(dsn, name)
    finally:
        await admin_execute(dsn, _drop_sql(name))


def sync_execute(dsn: str, sql: str) -> None:
    """Run one statement in autocommit (CREATE/DROP DATABASE) without an event loop."""
    try:
        conn = psycopg.connect(dsn, autocommit=True)
    except psycopg.Error as exc:
        raise unavailable(dsn, exc) from exc
    with conn:
        conn.execute(sql.encode())


@contextmanager
def scratch_database_sync(
    dsn: str, *, prefix: str = DEFAULT_SCRATCH_PREFIX, template: str | None = None
) -> Iterator[str]:
    """`scratch_database` for code that has no event loop (session fixtures, yoyo)."""
    name = scratch_name(prefix)
    try:
        sync_execute(dsn, _create_sql(name, template))
    except psycopg.errors.InsufficientPrivilege as exc:
        raise _cannot_create(dsn, exc) from exc
    try:
        yield dsn_with_database(dsn, name)
    finally:
        sync_execute(dsn, _drop_sql(name))
