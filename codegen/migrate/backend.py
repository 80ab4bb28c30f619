"""Connections to the database being migrated: yoyo backends with our session settings.

Why it exists: every migration must run with a `lock_timeout` and a `statement_timeout`
(a DDL statement queued behind a long transaction otherwise blocks every query behind
it), `list` and `sql` must not write anything, and every driver or yoyo failure must
become one line naming the server. The session settings travel in the DSN's `options`
query argument, so yoyo's own copies of the connection (one per migration) get them too.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from yoyo import get_backend  # type: ignore[import-untyped]
from yoyo.backends import get_backend_class  # type: ignore[import-untyped]
from yoyo.connections import parse_uri  # type: ignore[import-untyped]
from yoyo.exceptions import LockTimeout  # type: ignore[import-untyped]
from yoyo.internalmigrations import get_current_version  # type: ignore[import-untyped]
from yoyo.migrations import (  # type: ignore[import-untyped]
    default_migration_table,
    get_migration_hash,
)

from codegen.dbutil import redact_dsn, unavailable
from codegen.migrate.source import MigrationError, one_line

Backend = Any  # yoyo.backends.base.DatabaseBackend

DEFAULT_LOCK_TIMEOUT = 60.0  # seconds to wait for another migration run (yoyo's lock)
RUN_LOCK = 0x636F_6467_656E  # the session advisory lock every run holds beside yoyo's row
_PSYCOPG_SCHEME = "postgresql+psycopg"
_POSTGRES_SCHEMES = {"postgresql", "postgres", "postgresql+psycopg", "postgres+psycopg"}


@dataclass(frozen=True)
class Session:
    """PostgreSQL settings every migration statement runs with, and the lock-timeout retry.

    The defaults are what a DBA would accept on a busy database: a DDL statement waits at
    most 5 s for its lock (then the migration is rolled back and retried after a backoff,
    `retries` times), and no statement runs longer than 5 minutes.
    """

    lock_timeout: str = "5s"
    statement_timeout: str = "5min"
    retries: int = 5
    backoff: float = 0.5  # seconds before the first retry; doubles each time, capped at 8

    def options(self) -> str:
        return f"-c lock_timeout={self.lock_timeout} -c statement_timeout={self.statement_timeout}"


def to_yoyo_dsn(dsn: str, session: Session | None = None) -> str:
    """The URL yoyo needs for a libpq-style `postgresql://` DSN, with `session`'s settings.

    yoyo picks its driver from the scheme (`postgresql+psycopg` selects psycopg 3, which
    this project installs) and passes query arguments to the driver, which is how the
    session settings reach every connection. Anything that is not a PostgreSQL URL is
    rejected here with a clear message instead of failing somewhere inside yoyo.
    """
    scheme, sep, rest = dsn.strip().partition("://")
    if not sep or scheme.lower() not in _POSTGRES_SCHEMES:
        raise MigrationError(
            f"invalid DSN {redact_dsn(dsn)!r}: expected postgresql://user@host:port/dbname"
        )
    yoyo = f"{_PSYCOPG_SCHEME}://{rest}"
    try:
        uri = parse_uri(yoyo)  # also validates the port
    except ValueError as exc:
        raise MigrationError(f"invalid DSN {redact_dsn(dsn)!r}: {one_line(exc)}") from exc
    if not uri.database:
        raise MigrationError(f"invalid DSN {redact_dsn(dsn)!r}: no database name")
    if session is None:
        return yoyo
    parts = urlsplit(yoyo)
    query = dict(parse_qsl(parts.query))
    query["options"] = f"{query.get('options', '')} {session.options()}".strip()
    return urlunsplit(parts._replace(query=urlencode(query)))


@contextmanager
def errors(dsn: str, lock_timeout: float | None = None) -> Iterator[None]:
    """Translate driver and yoyo exceptions into one-line MigrationErrors."""
    try:
        yield
    except MigrationError:
        raise
    except LockTimeout as exc:
        holder = one_line(exc).split(" (run yoyo", 1)[0]
        raise MigrationError(
            f"timed out after {lock_timeout:g}s waiting for the migration lock on "
            f"{redact_dsn(dsn)} ({holder}): another run is in progress (a killed run's lock "
            "is taken over by the next run; one left by an older version is removed with: "
            "codegen migrate break-lock)"
        ) from exc
    except psycopg.Error as exc:
        raise MigrationError(f"database error: {one_line(exc)}") from exc


def _open(dsn: str, session: Session | None) -> Backend:
    try:
        return get_backend(to_yoyo_dsn(dsn, session))
    except (psycopg.Error, OSError) as exc:
        raise MigrationError(str(unavailable(dsn, exc))) from exc


@contextmanager
def backend(dsn: str, session: Session | None = None) -> Iterator[Backend]:
    """A yoyo backend (creates yoyo's tables if missing); closed afterwards."""
    b = _open(dsn, session)
    try:
        with errors(dsn):
            yield b
    finally:
        b.connection.close()


@contextmanager
def locked_backend(
    dsn: str, lock_timeout: float, session: Session, say: Callable[[str], None] | None = None
) -> Iterator[Backend]:
    """A yoyo backend holding yoyo's migration lock for the duration of the block.

    Pending work must be computed inside the block: a concurrent run then waits for the
    lock and afterwards finds nothing left to do. A lock row left by a killed run is
    removed (`_take_over`).
    """
    b = _open(dsn, session)
    try:
        with errors(dsn, lock_timeout):
            _take_over(b, lock_timeout, say or (lambda _: None))
            with _yoyo_lock(b, lock_timeout):
                yield b
    finally:
        b.connection.close()


@contextmanager
def _yoyo_lock(b: Backend, timeout: float) -> Iterator[None]:
    """yoyo's lock row; a failure to remove it on a connection that died does not hide the
    error that ended the run (the next run takes the row over: `_take_over`)."""
    lock = b.lock(timeout)
    lock.__enter__()
    try:
        yield
    except BaseException as exc:
        with suppress(psycopg.Error):
            lock.__exit__(type(exc), exc, exc.__traceback__)
        raise
    lock.__exit__(None, None, None)


def _take_over(b: Backend, timeout: float, say: Callable[[str], None]) -> None:
    """Wait for the run lock: a session advisory lock every run holds beside yoyo's lock row.

    PostgreSQL ends the advisory lock with its session, yoyo's row stays when its run is
    killed (kill -9, a lost connection). Holding the advisory lock, a row still there
    belongs to no live run of this tool: it is removed, and said so.
    """
    started = time.monotonic()
    take = "SELECT pg_try_advisory_lock(%(k)s)"
    while not b.execute(take, {"k": RUN_LOCK}).fetchone()[0]:
        if timeout and time.monotonic() > started + timeout:
            row = b.execute(f"SELECT pid FROM {b.lock_table_quoted}").fetchone()
            holder = f"Process {row[0]}" if row else "Another run"
            raise LockTimeout(f"{holder} has locked this database")
        time.sleep(0.2)
    with b.transaction():
        stale = b.execute(f"DELETE FROM {b.lock_table_quoted} RETURNING pid").fetchall()
    for (pid,) in stale:
        say(f"removed the migration lock of process {pid}: its run was killed")


@contextmanager
def readonly_backend(dsn: str) -> Iterator[Backend]:
    """A yoyo backend on a read-only session that creates nothing, not even yoyo's tables.

    `list`, `sql` and `drift` must not change the database (`yoyo.get_backend` would create
    the lock table on connect).
    """
    url = to_yoyo_dsn(dsn)
    try:
        uri = parse_uri(url)
        b = get_backend_class(uri.scheme)(uri, default_migration_table)
    except (psycopg.Error, OSError) as exc:
        raise MigrationError(str(unavailable(dsn, exc))) from exc
    try:
        with errors(dsn):
            b.execute("SET default_transaction_read_only = on")
            yield b
    finally:
        b.connection.close()


def applied_readonly(b: Backend) -> dict[str, tuple[str, datetime | None]]:
    """migration hash -> (migration id, applied at UTC), read without creating anything."""
    version = get_current_version(b)
    if version == 0:
        return {}
    table = b.migration_table_quoted
    if version == 1:  # yoyo < 6 layout: id, ctime
        rows = b.execute(f"SELECT id, ctime FROM {table}").fetchall()
        return {get_migration_hash(mid): (mid, at) for mid, at in rows}
    rows = b.execute(f"SELECT migration_hash, migration_id, applied_at_utc FROM {table}").fetchall()
    return {h: (mid, at) for h, mid, at in rows}
