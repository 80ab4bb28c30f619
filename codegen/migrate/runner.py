"""The migration commands as functions: apply, rollback, mark, status, plan_sql, accept.

Each migration runs in its own transaction and is recorded only after it committed, so a
failure leaves the database at the previous migration; a `-- transactional: false` file
runs statement by statement, resumable from where it stopped (`stepwise`). yoyo's lock
serialises concurrent runs: the second waits, then finds nothing pending. A migration that
hits its `lock_timeout` (or a deadlock) was rolled back by PostgreSQL and is retried with
backoff (a non-transactional one retries the statement).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psycopg

from codegen.migrate import checksums, stepwise
from codegen.migrate.backend import (
    DEFAULT_LOCK_TIMEOUT,
    Backend,
    Session,
    applied_readonly,
    backend,
    locked_backend,
    readonly_backend,
)
from codegen.migrate.source import (
    Direction,
    Migration,
    MigrationError,
    current,
    find,
    load,
    load_migrations,
    one_line,
    rollback_path,
    script,
    upto,
)

Report = Callable[[str], None]
_RETRYABLE = stepwise.RETRYABLE


@dataclass(frozen=True)
class MigrationStatus:
    """One line of `list`: a migration and whether the database has it applied.

    `known` is False for a migration recorded as applied whose file is no longer in the
    schema directory; `edited` is True for an applied file changed since it was applied;
    `interrupted` says where a non-transactional run stopped ("apply stopped after
    statement 5 of 14"), None when none did.
    """

    id: str
    applied: bool
    applied_at: datetime | None
    known: bool = True
    edited: bool = False
    interrupted: str | None = None


def _quiet(_: str) -> None:
    pass


def apply(
    dsn: str,
    schema_dir: Path | str,
    revision: str | None = None,
    *,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    session: Session | None = None,
    report: Report | None = None,
) -> list[str]:
    """Apply pending migrations (all, or up to and including `revision`); return their ids.

    Refuses (MigrationError naming the file) when an applied migration was edited since.
    """
    session = session or Session()
    say = report or _quiet
    ordered, migrations = load(schema_dir)
    done: list[str] = []
    with locked_backend(dsn, lock_timeout, session, say) as b:
        _ensure_tables(b)
        applied = set(b.get_applied_migration_hashes())
        _check_and_backfill(b, [m for m in ordered if m.hash in applied], say, schema_dir)
        partial = stepwise.interrupted(b)
        for m in upto(ordered, revision):
            if m.hash in applied and m.id not in partial:
                continue
            _run_one(b, "apply", m, ordered, applied, session, say)
            applied.add(m.hash)
            done.append(m.id)
            say(f"applied {m.id}")
        if done:
            b.run_post_apply(migrations)
    return done


def _ensure_tables(b: Backend) -> None:
    checksums.ensure_table(b)
    stepwise.ensure_table(b)


def _check_and_backfill(
    b: Backend, applied: list[Migration], say: Report, schema_dir: Path | str
) -> None:
    known = checksums.recorded(b)
    checksums.refuse_edited(applied, known, schema_dir)
    for m, entry in checksums.upgraded(applied, known, schema_dir):
        with b.transaction():
            checksums.accept(b, m, entry.old, f" (superseded: {entry.reason})")
        say(f"recorded the rewritten text of {m.id} ({entry.reason})")
    known = checksums.recorded(b)
    for m in checksums.unrecorded(applied, known):
        checksums.record(b, m)
        what = m.id if m.id not in known else f"{m.id}'s rollback file"
        say(f"recorded the checksum of {what} (applied before checksums were kept)")


def rollback(
    dsn: str,
    schema_dir: Path | str,
    revision: str | None = None,
    *,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    session: Session | None = None,
    report: Report | None = None,
) -> list[str]:
    """Roll back the latest applied migration, or `revision` and every applied one after it.

    Migrations are undone newest first, each in its own transaction. Returns the ids
    rolled back, in that order.
    """

    def select(ordered: list[Migration], applied: set[str]) -> list[Migration]:
        if revision is None:
            return [m for m in ordered if m.hash in applied][-1:]
        return [m for m in ordered[find(ordered, revision) :] if m.hash in applied]

    return _rollback(dsn, schema_dir, select, lock_timeout, session or Session(), report)


def rollback_all(
    dsn: str,
    schema_dir: Path | str,
    *,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    session: Session | None = None,
    report: Report | None = None,
) -> list[str]:
    """Roll back every applied migration, newest first; return the ids rolled back."""

    def select(ordered: list[Migration], applied: set[str]) -> list[Migration]:
        return [m for m in ordered if m.hash in applied]

    return _rollback(dsn, schema_dir, select, lock_timeout, session or Session(), report)


def _rollback(
    dsn: str,
    schema_dir: Path | str,
    select: Callable[[list[Migration], set[str]], list[Migration]],
    lock_timeout: float,
    session: Session,
    report: Report | None,
) -> list[str]:
    say = report or _quiet
    ordered = load_migrations(schema_dir)
    done: list[str] = []
    with locked_backend(dsn, lock_timeout, session, say) as b:
        _ensure_tables(b)
        applied = set(b.get_applied_migration_hashes())
        # A migration whose apply was interrupted counts as applied here: it is reversed.
        partial = {m.hash for m in ordered if m.id in stepwise.interrupted(b)}
        targets = list(reversed(select(ordered, applied | partial)))
        for m in targets:
            # A .sql migration without a rollback file "rolls back" as a no-op and would be
            # unmarked with its tables left in place; refuse before touching anything.
            if m.is_raw_sql() and not rollback_path(m).exists():
                raise MigrationError(f"{m.id} has no rollback file {rollback_path(m).name}")
        # An edited rollback file would run the edit: refused like an edited apply file.
        checksums.refuse_edited(
            [m for m in ordered if m.hash in applied], checksums.recorded(b), schema_dir
        )
        for m in targets:
            _run_one(b, "rollback", m, ordered, applied, session, say)
            applied.discard(m.hash)
            done.append(m.id)
            say(f"rolled back {m.id}")
    return done


def _run_one(
    b: Backend,
    direction: Direction,
    m: Migration,
    ordered: list[Migration],
    applied: set[str],
    session: Session,
    say: Report,
) -> None:
    """Apply or roll back one migration and record it; retry a lock timeout or deadlock with
    backoff. A non-transactional one runs statement by statement (`stepwise`)."""
    if not m.use_transactions and m.is_raw_sql():
        before = current(ordered, applied - {m.hash})
        at = stepwise.Where(*((before, m.id) if direction == "apply" else (m.id, before)))
        stepwise.run(b, direction, m, session, say, at)
        return
    delay = session.backoff
    for attempt in range(1, session.retries + 2):
        try:
            (b.apply_one if direction == "apply" else b.rollback_one)(m)
            if direction == "apply":
                checksums.record(b, m)
            else:
                checksums.forget(b, m)
            return
        except psycopg.Error as exc:
            if exc.sqlstate not in _RETRYABLE or attempt > session.retries:
                raise _failed(direction, m, ordered, applied, exc, attempt) from exc
            say(f"{direction} of {m.id}: {one_line(exc)}; retry {attempt} in {delay:g}s")
            time.sleep(delay)
            delay = min(delay * 2, 8.0)


def _failed(
    direction: Direction,
    m: Migration,
    ordered: list[Migration],
    applied: set[str],
    exc: psycopg.Error,
    attempts: int,
) -> MigrationError:
    undone = (
        "its transaction was rolled back"
        if m.use_transactions
        else "it is not transactional, completed steps were undone as far as possible"
    )
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    return MigrationError(
        f"{direction} of {m.id} failed{tries} ({undone}; database is at "
        f"{current(ordered, applied)}): {one_line(exc)}"
    )


def mark(
    dsn: str,
    schema_dir: Path | str,
    revision: str | None = None,
    *,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    report: Report | None = None,
) -> list[str]:
    """Record pending migrations (all, or up to `revision`) as applied without running them.

    Adopts a database whose schema was created another way (`alembic stamp`).
    """
    say = report or _quiet
    ordered = load_migrations(schema_dir)
    with locked_backend(dsn, lock_timeout, Session()) as b:
        checksums.ensure_table(b)
        applied = set(b.get_applied_migration_hashes())
        pending = [m for m in upto(ordered, revision) if m.hash not in applied]
        b.mark_migrations(pending)
        for m in pending:
            checksums.record(b, m)
            say(f"marked {m.id}")
    return [m.id for m in pending]


def accept(
    dsn: str, schema_dir: Path | str, revision: str, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
) -> tuple[str, str | None]:
    """Accept a deliberate edit of an applied migration: record its current hash, logged.

    Returns (migration id, the hash recorded before). Only for applied migrations.
    """
    ordered = load_migrations(schema_dir)
    m = ordered[find(ordered, revision)]
    with locked_backend(dsn, lock_timeout, Session()) as b:
        checksums.ensure_table(b)
        if m.hash not in set(b.get_applied_migration_hashes()):
            raise MigrationError(f"{m.id} is not applied: there is no edit to accept")
        was = checksums.recorded(b).get(m.id)
        old = was.sha256 if was else None
        with b.transaction():
            checksums.accept(b, m, old)
    return m.id, old


def status(dsn: str, schema_dir: Path | str) -> list[MigrationStatus]:
    """Every migration in order with its state, then applied ones without a file. Read-only."""
    ordered = load_migrations(schema_dir)
    with readonly_backend(dsn) as b:
        applied = applied_readonly(b)
        known = checksums.recorded(b)
        partial = stepwise.interrupted(b)
    mine = [m for m in ordered if m.hash in applied]
    edited = {m.id for m in checksums.edited(mine, known, schema_dir)}
    result = [
        MigrationStatus(
            m.id,
            m.hash in applied,
            applied[m.hash][1] if m.hash in applied else None,
            edited=m.id in edited,
            interrupted=partial[m.id].describe() if m.id in partial else None,
        )
        for m in ordered
    ]
    files = {m.hash for m in ordered}
    unknown = [(mid, at) for h, (mid, at) in applied.items() if h not in files]
    unknown.sort(key=lambda row: (row[1] or datetime.min, row[0]))
    result += [MigrationStatus(mid, True, at, known=False) for mid, at in unknown]
    return result


def refuse_edited(dsn: str, schema_dir: Path | str) -> None:
    """MigrationError naming every applied migration file edited since (read-only)."""
    ordered = load_migrations(schema_dir)
    with readonly_backend(dsn) as b:
        applied = applied_readonly(b)
        known = checksums.recorded(b)
    checksums.refuse_edited([m for m in ordered if m.hash in applied], known, schema_dir)


def plan_sql(
    dsn: str,
    schema_dir: Path | str,
    direction: Direction = "apply",
    revision: str | None = None,
    *,
    all_: bool = False,
) -> str:
    """The SQL that `apply`/`rollback` with the same arguments would run, as a script.

    The applied state is read through a read-only session; nothing is executed and not
    even yoyo's bookkeeping tables are created. `all_` (rollback only) selects every
    applied migration.
    """
    ordered = load_migrations(schema_dir)
    with readonly_backend(dsn) as b:
        applied = set(applied_readonly(b))
        known = checksums.recorded(b)
    checksums.refuse_edited([m for m in ordered if m.hash in applied], known, schema_dir)
    targets: Sequence[Migration]
    if direction == "apply":
        targets = [m for m in upto(ordered, revision) if m.hash not in applied]
    elif all_:
        targets = [m for m in reversed(ordered) if m.hash in applied]
    elif revision is None:
        targets = [m for m in reversed(ordered) if m.hash in applied][:1]
    else:
        targets = [m for m in reversed(ordered[find(ordered, revision) :]) if m.hash in applied]
    return script(f"-- {direction}: database is at {current(ordered, applied)}", targets, direction)


def break_lock(dsn: str) -> None:
    """Remove yoyo's migration lock left behind by a killed run (none must be in progress)."""
    with backend(dsn) as b:
        b.break_lock()
