"""Non-transactional migrations, run statement by statement and resumable from any point.

A `-- transactional: false` migration cannot run in one transaction, so the run can die
between any two statements (the deploy job killed, the backend terminated by a restart, a
failover or a DBA) or stop at one (a lock timeout, a bad row). The rule:

- progress is recorded per statement in `_yoyo_codegen_progress` (migration, direction,
  statements done, the files' hashes). A statement that can run in a transaction commits
  together with its record; one that cannot (`CONCURRENTLY`, a `DO` block that commits,
  `BEGIN`/`COMMIT` written in the file) is recorded after it finished, so it may run again;
- nothing is undone behind the user's back: a failure stops the run, and the message says
  which statements are in effect. `apply` resumes at the first statement not recorded
  (after replaying the session `SET`s before it); `rollback` reverses an interrupted apply
  by running the whole rollback file, and `apply` an interrupted rollback by running the
  whole apply file;
- so every statement of both files must be re-entrant: safe to run again over whatever an
  interrupted run of either file left behind (`codegen vet` checks this:
  `codegen.migrate.statements`). An INVALID index left by an interrupted concurrent build is
  dropped before its `CREATE INDEX CONCURRENTLY` runs again (IF NOT EXISTS would skip it),
  and an index build that ends with an invalid index is a failure;
- a lock timeout or deadlock retries the statement (with backoff), never the migration;
- the migration is recorded as applied (or rolled back), its checksums kept, and its
  progress removed in one transaction.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any, NamedTuple

import psycopg
from psycopg import sql
from psycopg.pq import TransactionStatus
from yoyo.migrations import read_sql_migration  # type: ignore[import-untyped]

from codegen.migrate import checksums
from codegen.migrate.backend import Backend, Session
from codegen.migrate.source import (
    Direction,
    Migration,
    MigrationError,
    checksum,
    one_line,
    rollback_checksum,
    rollback_path,
    statement_offsets,
    statements,
)
from codegen.migrate.statements import Statement, describe

TABLE = "_yoyo_codegen_progress"
RETRYABLE = {"55P03", "40P01"}  # lock_not_available (lock_timeout), deadlock_detected
Report = Callable[[str], None]

_CREATE = f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    migration_id text PRIMARY KEY,
    direction text NOT NULL CHECK (direction IN ('apply', 'rollback')),
    done integer NOT NULL,
    total integer NOT NULL,
    sha256 text NOT NULL,
    rollback_sha256 text NULL,
    updated_at_utc timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
)"""


class Progress(NamedTuple):
    direction: Direction
    done: int
    total: int
    sha256: str
    rollback_sha256: str | None

    def describe(self) -> str:
        return f"{self.direction} stopped after statement {self.done} of {self.total}"


class Where(NamedTuple):
    """Where the database is, for messages: the revisions before and after `m`."""

    before: str
    after: str


def ensure_table(b: Backend) -> None:
    with b.transaction():
        b.execute(_CREATE)


def interrupted(b: Backend) -> dict[str, Progress]:
    """migration id -> its interrupted run; empty when the table does not exist (read-only)."""
    if not b.execute("SELECT to_regclass(%(t)s) IS NOT NULL", {"t": TABLE}).fetchone()[0]:
        return {}
    rows = b.execute(
        f"SELECT migration_id, direction, done, total, sha256, rollback_sha256 FROM {TABLE}"
    ).fetchall()
    return {r[0]: Progress(*r[1:]) for r in rows}


def run(
    b: Backend, direction: Direction, m: Migration, session: Session, say: Report, at: Where
) -> None:
    """Run `m`'s `direction` file from where an earlier run stopped, then record it."""
    stmts = [describe(i + 1, s) for i, s in enumerate(statements(m, direction))]
    with b.copy() as worker:  # its own connection: the one holding yoyo's lock outlives it
        conn = worker.connection
        try:
            if conn.info.server_version >= 140000:  # a killed client's statement stops soon
                conn.execute("SET client_connection_check_interval = '1s'")
            done, fresh = _start(conn, m, direction, len(stmts), say)
            for s in stmts[:done]:
                if s.session:
                    conn.execute(s.sql)
        except psycopg.Error as exc:
            raise MigrationError(
                f"{direction} of {m.id}: nothing was run ({one_line(exc)}); the database is as "
                f"it was; run `codegen migrate {direction}` again"
            ) from exc
        _run_from(conn, m, direction, stmts, session, say, at, fresh)
    try:
        _finish(b, direction, m)
    except psycopg.Error as exc:
        raise MigrationError(
            f"{direction} of {m.id}: every statement ran but recording it failed "
            f"({one_line(exc)}); run `codegen migrate {direction}` again to record it"
        ) from exc


def _start(
    conn: psycopg.Connection[Any], m: Migration, direction: Direction, n: int, say: Report
) -> tuple[int, bool]:
    """(statements of `direction` already done, whether this run is a new one): resume an
    interrupted run in the same direction; reverse one in the other direction from the
    file's first statement."""
    row = conn.execute(
        f"SELECT direction, done, total, sha256, rollback_sha256 FROM {TABLE} "
        "WHERE migration_id = %(id)s",
        {"id": m.id},
    ).fetchone()
    shas = {"sha": checksum(m), "rb": rollback_checksum(m)}
    if row is None:  # a new run: nothing of it is in effect yet
        conn.execute(
            f"INSERT INTO {TABLE} (migration_id, direction, done, total, sha256, rollback_sha256)"
            " VALUES (%(id)s, %(dir)s, 0, %(n)s, %(sha)s, %(rb)s)",
            {"id": m.id, "dir": direction, "n": n, **shas},
        )
        return 0, True
    was = Progress(*row)
    if (was.sha256, was.rollback_sha256) != (shas["sha"], shas["rb"]):
        raise MigrationError(
            f"{m.id} was interrupted ({was.describe()}) and its files changed since: restore "
            f"{Path(m.path).name} and {rollback_path(m).name} to finish or reverse that run"
        )
    if was.direction == direction:
        say(f"{direction} of {m.id}: resuming after statement {was.done} of {n}")
        return was.done, False
    say(
        f"{direction} of {m.id}: reversing the interrupted {was.direction} ({was.describe()}) "
        f"from statement 1 of {n}"
    )
    conn.execute(
        f"UPDATE {TABLE} SET direction = %(dir)s, done = 0, total = %(n)s, "
        "updated_at_utc = now() AT TIME ZONE 'UTC' WHERE migration_id = %(id)s",
        {"id": m.id, "dir": direction, "n": n},
    )
    return 0, False


def _run_from(
    conn: psycopg.Connection[Any],
    m: Migration,
    direction: Direction,
    stmts: list[Statement],
    session: Session,
    say: Report,
    at: Where,
    fresh: bool,
) -> None:
    """Run the statements not yet recorded; retry a lock timeout or deadlock with backoff.

    The recorded count is read again after every statement: a failure inside a transaction
    the file opened itself rolls the count back to where that transaction began."""
    attempt, delay, done = 1, session.backoff, 0
    while True:
        try:
            done = _done(conn, m)
        except psycopg.Error as exc:  # the connection died between statements
            raise _stopped(direction, m, done, len(stmts), exc, at) from exc
        if done >= len(stmts):
            return
        s = stmts[done]
        try:
            _execute(conn, m, direction, s, say)
        except psycopg.Error as exc:
            _reset(conn)
            if exc.sqlstate not in RETRYABLE or attempt > session.retries:
                if done == 0 and s.atomic and fresh and _forget(conn, m):
                    raise _refused(direction, m, s, exc, at, attempt) from exc
                raise _stopped(direction, m, done, len(stmts), exc, at, attempt, s) from exc
            say(
                f"{direction} of {m.id}: statement {s.number}: {one_line(exc)}; "
                f"retry {attempt} in {delay:g}s"
            )
            time.sleep(delay)
            attempt, delay = attempt + 1, min(delay * 2, 8.0)
        else:
            attempt, delay = 1, session.backoff


def _execute(
    conn: psycopg.Connection[Any], m: Migration, direction: Direction, s: Statement, say: Report
) -> None:
    if s.index_build and _valid(conn, s.index_build) is False:
        say(
            f"{direction} of {m.id}: statement {s.number}: dropping the invalid index "
            f"{s.index_build} an interrupted build left, to build it again"
        )
        conn.execute(sql.SQL("DROP INDEX CONCURRENTLY IF EXISTS {}").format(_ident(s.index_build)))
    if s.atomic and conn.info.transaction_status == TransactionStatus.IDLE:
        with conn.transaction():
            conn.execute(s.sql)
            _record(conn, m, s.number)
    else:  # cannot run in a transaction, or inside the one the file opened itself
        conn.execute(s.sql)
        _record(conn, m, s.number)
    if s.index_build and not _valid(conn, s.index_build):
        raise MigrationError(
            f"{direction} of {m.id}: statement {s.number} left the index "
            f"{s.index_build} INVALID or missing; run it again to rebuild it"
        )


def _ident(name: str) -> sql.Identifier:
    return sql.Identifier(*name.split("."))


def _valid(conn: psycopg.Connection[Any], name: str) -> bool | None:
    """Whether index `name` is valid; None when there is no such index."""
    row = conn.execute(
        "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%(n)s)",
        {"n": _ident(name).as_string(conn)},
    ).fetchone()
    return None if row is None else bool(row[0])


def _record(conn: psycopg.Connection[Any], m: Migration, done: int) -> None:
    conn.execute(
        f"UPDATE {TABLE} SET done = %(done)s, updated_at_utc = now() AT TIME ZONE 'UTC' "
        "WHERE migration_id = %(id)s",
        {"id": m.id, "done": done},
    )


def _done(conn: psycopg.Connection[Any], m: Migration) -> int:
    row = conn.execute(
        f"SELECT done FROM {TABLE} WHERE migration_id = %(id)s", {"id": m.id}
    ).fetchone()
    return int(row[0]) if row else 0


def _reset(conn: psycopg.Connection[Any]) -> None:
    """End a failed transaction (the file's own, or ours) if the connection is still there."""
    if conn.closed or conn.info.transaction_status == TransactionStatus.IDLE:
        return
    with suppress(psycopg.Error):  # the connection is gone: so is its transaction
        conn.execute("ROLLBACK")


def _finish(b: Backend, direction: Direction, m: Migration) -> None:
    """Record the migration as applied (or not), its checksums and log, and forget its
    progress: one transaction."""
    marked = m.hash in set(b.get_applied_migration_hashes())
    b.ensure_internal_schema_updated()  # outside: it opens a transaction of its own
    with b.transaction():
        if direction == "apply":
            if not marked:
                b.mark_one(m, log=False)
            checksums.record(b, m)
        else:
            if marked:
                b.unmark_one(m, log=False)
            checksums.forget(b, m)
        b.log_migration(m, direction)
        b.execute(f"DELETE FROM {TABLE} WHERE migration_id = %(id)s", {"id": m.id})


def _forget(conn: psycopg.Connection[Any], m: Migration) -> bool:
    """Remove `m`'s progress; False when the connection is gone (then it stays)."""
    try:
        conn.execute(f"DELETE FROM {TABLE} WHERE migration_id = %(id)s", {"id": m.id})
    except psycopg.Error:
        return False
    return True


def _refused(
    direction: Direction, m: Migration, s: Statement, exc: BaseException, at: Where, attempts: int
) -> MigrationError:
    """A new run whose first statement failed in its transaction: nothing changed."""
    path = Path(m.path) if direction == "apply" else rollback_path(m)
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    return MigrationError(
        f"{direction} of {m.id} failed at statement 1 ({path}:{_line(path, s)}){tries}: "
        f"{one_line(exc)}; nothing was changed: the database is at {at.before}"
    )


def _stopped(
    direction: Direction,
    m: Migration,
    done: int,
    n: int,
    exc: BaseException,
    at: Where,
    attempts: int = 1,
    s: Statement | None = None,
) -> MigrationError:
    path = Path(m.path) if direction == "apply" else rollback_path(m)
    here = f" ({path}:{_line(path, s)})" if s else ""
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    partial = f", statement {done + 1} may be in part" if s is None or not s.atomic else ""
    effect = (
        f"statements 1-{done} of {path.name} are" if done else f"no statement of {path.name} is"
    )
    return MigrationError(
        f"{direction} of {m.id} stopped at statement {done + 1} of {n}{here}{tries}: "
        f"{one_line(exc)}; the database is between {at.before} and {at.after}: {effect} in "
        f"effect{partial} (`codegen migrate apply` finishes {m.id}, `codegen migrate rollback` "
        "reverses it)"
    )


def _line(path: Path, s: Statement) -> int:
    text = path.read_text(encoding="utf-8")
    offsets = statement_offsets(text, read_sql_migration(str(path))[2])
    return text.count("\n", 0, offsets[s.number - 1]) + 1
