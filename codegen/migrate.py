"""Schema migrations: a small, scriptable command over yoyo-migrations.

The migrations are the plain SQL files in the schema directory (``NNNN_name.sql`` with a
``NNNN_name.rollback.sql`` next to each); yoyo records what has been applied in its own
tables (``_yoyo_migration``, ``_yoyo_log``, ``yoyo_lock``, ``_yoyo_version``).

Usage::

    python -m codegen.migrate [--dsn DSN] [--schema-dir DIR] COMMAND [options]

    apply    [--revision ID]          apply pending migrations (all, or up to and including ID)
    rollback [--revision ID | --all]  roll back the latest applied migration; with --revision
                                      ID: ID and every applied migration after it; --all: all
    list                              each migration with its applied/pending status
    mark     [--revision ID]          record pending migrations as applied without running them
    sql      [apply|rollback] [--revision ID] [--all]
                                      print the SQL that command would run; changes nothing
    break-lock                        remove a migration lock left behind by a killed run

``--dsn`` defaults to ``$DATABASE_URL``; ``--schema-dir`` to ``[tool.codegen] schema`` in
``./pyproject.toml``, else ``schema``. ``ID`` is a migration id (file name without ``.sql``)
or an unambiguous prefix of one, e.g. ``0005``.

Every failure (bad DSN, server down, a failing migration, ...) is reported as one line on
stderr with exit status 1. Each migration runs in its own transaction, so a failing one
leaves the database at the previous migration.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tomllib
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import psycopg
from yoyo import get_backend, read_migrations  # type: ignore[import-untyped]
from yoyo.backends import get_backend_class  # type: ignore[import-untyped]
from yoyo.connections import parse_uri  # type: ignore[import-untyped]
from yoyo.exceptions import (  # type: ignore[import-untyped]
    BadMigration,
    LockTimeout,
    MigrationConflict,
)
from yoyo.internalmigrations import get_current_version  # type: ignore[import-untyped]
from yoyo.migrations import (  # type: ignore[import-untyped]
    default_migration_table,
    get_migration_hash,
    read_sql_migration,
    topological_sort,
)

# yoyo has no type information; its objects are Any. These aliases document intent.
Migration = Any  # yoyo.migrations.Migration
Backend = Any  # yoyo.backends.base.DatabaseBackend

Direction = Literal["apply", "rollback"]
Report = Callable[[str], None]

DEFAULT_SCHEMA_DIR = "schema"
DEFAULT_LOCK_TIMEOUT = 60.0
_PSYCOPG_SCHEME = "postgresql+psycopg"
_POSTGRES_SCHEMES = {"postgresql", "postgres", "postgresql+psycopg", "postgres+psycopg"}


class MigrationError(Exception):
    """A failure with a one-line, user-facing message; the CLI prints it and exits 1."""


@dataclass(frozen=True)
class MigrationStatus:
    """One line of ``list``: a migration and whether the database has it applied.

    ``known`` is False for a migration recorded as applied in the database whose file is
    no longer in the schema directory (renamed or deleted after it was applied).
    """

    id: str
    applied: bool
    applied_at: datetime | None
    known: bool = True


# --------------------------------------------------------------------------- configuration


def to_yoyo_dsn(dsn: str) -> str:
    """Turn a libpq-style ``postgresql://`` URL into the URL yoyo needs.

    Why: yoyo picks its database driver from the URL scheme, and plain ``postgresql://``
    selects psycopg2, which this project does not install; ``postgresql+psycopg://``
    selects psycopg 3. Anything that is not a PostgreSQL URL is rejected here with a
    clear message instead of failing somewhere inside yoyo.
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
        raise MigrationError(f"invalid DSN {redact_dsn(dsn)!r}: {_one_line(exc)}") from exc
    if not uri.database:
        raise MigrationError(f"invalid DSN {redact_dsn(dsn)!r}: no database name")
    return yoyo


def redact_dsn(dsn: str) -> str:
    """The DSN with its password replaced by ``***``.

    Why: DSNs appear in error messages, which end up in CI logs; passwords must not.
    """
    try:
        parts = urlsplit(dsn)
        if parts.password is None:
            return dsn
        host = parts.netloc.rpartition("@")[2]
        netloc = f"{parts.username or ''}:***@{host}"
        return urlunsplit(parts._replace(netloc=netloc))
    except ValueError:
        return "<unparsable DSN>"


def default_schema_dir(cwd: Path | None = None) -> Path:
    """The migrations directory: ``[tool.codegen] schema`` from ./pyproject.toml, else ``schema``.

    Why: the code generator reads the same setting to build its catalog, so the migrations
    that are applied and the schema code is generated against cannot drift apart.
    """
    base = Path.cwd() if cwd is None else cwd
    try:
        with (base / "pyproject.toml").open("rb") as f:
            config = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError):
        return base / DEFAULT_SCHEMA_DIR
    value = config.get("tool", {}).get("codegen", {}).get("schema", DEFAULT_SCHEMA_DIR)
    return base / (value if isinstance(value, str) and value else DEFAULT_SCHEMA_DIR)


# --------------------------------------------------------------------------- migrations


def load_migrations(schema_dir: Path | str) -> list[Migration]:
    """All migrations in ``schema_dir``, loaded, in the order they are applied.

    Why: every command needs the same ordering (yoyo's topological sort over the
    ``-- depends:`` headers, ties broken by file name).
    """
    return _load(schema_dir)[0]


def _load(schema_dir: Path | str) -> tuple[list[Migration], Any]:
    """(ordered migrations, yoyo MigrationList); the list also carries post-apply hooks.

    Migrations are loaded right after being read because yoyo resolves ``depends``
    through a process-wide registry keyed by id: reading a second directory with the
    same ids (tests do) before loading would wire dependencies to the other directory's
    objects.
    """
    path = Path(schema_dir)
    if not path.is_dir():
        raise MigrationError(f"schema directory not found: {path}")
    try:
        migrations = read_migrations(str(path))
        for m in [*migrations, *migrations.post_apply]:
            m.load()
        ordered = list(topological_sort(migrations))
    except (BadMigration, MigrationConflict, OSError, ValueError) as exc:
        raise MigrationError(f"cannot read migrations in {path}: {_one_line(exc)}") from exc
    if not ordered:
        raise MigrationError(f"no migrations found in {path}")
    return ordered, migrations


def _find(ordered: Sequence[Migration], revision: str) -> int:
    """Index of ``revision`` (an exact id or an unambiguous prefix) in ``ordered``."""
    ids = [m.id for m in ordered]
    if revision in ids:
        return ids.index(revision)
    matches = [i for i, mid in enumerate(ids) if mid.startswith(revision)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        names = ", ".join(ids[i] for i in matches)
        raise MigrationError(f"revision {revision!r} is ambiguous: {names}")
    raise MigrationError(f"unknown revision {revision!r} (known: {', '.join(ids)})")


def _rollback_path(m: Migration) -> Path:
    return Path(os.path.splitext(m.path)[0] + ".rollback.sql")


def _current(ordered: Sequence[Migration], applied: set[str] | dict[str, Any]) -> str:
    """The last applied migration in order, as used in messages."""
    done = [m.id for m in ordered if m.hash in applied]
    return done[-1] if done else "(no migration applied)"


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, psycopg.Error) and exc.diag.message_primary:
        text = exc.diag.message_primary
    else:
        text = str(exc).strip() or type(exc).__name__
    first = text.splitlines()[0] if text else type(exc).__name__
    return " ".join(first.split())


# --------------------------------------------------------------------------- connections


@contextmanager
def _errors(dsn: str, lock_timeout: float | None = None) -> Iterator[None]:
    """Translate driver and yoyo exceptions into one-line MigrationErrors."""
    try:
        yield
    except MigrationError:
        raise
    except LockTimeout as exc:
        holder = _one_line(exc).split(" (run yoyo", 1)[0]
        raise MigrationError(
            f"timed out after {lock_timeout:g}s waiting for the migration lock on "
            f"{redact_dsn(dsn)} ({holder}); if no migration run is in progress, remove the "
            "stale lock with: python -m codegen.migrate break-lock"
        ) from exc
    except psycopg.Error as exc:
        raise MigrationError(f"database error: {_one_line(exc)}") from exc


def _connect_error(dsn: str, exc: Exception) -> MigrationError:
    return MigrationError(f"cannot connect to {redact_dsn(dsn)}: {_one_line(exc)}")


@contextmanager
def _locked_backend(dsn: str, lock_timeout: float) -> Iterator[Backend]:
    """A yoyo backend holding yoyo's migration lock for the duration of the block.

    Pending work must be computed inside the block: a concurrent run then waits for the
    lock and afterwards finds nothing left to do.
    """
    url = to_yoyo_dsn(dsn)
    try:
        backend = get_backend(url)
    except (psycopg.Error, OSError) as exc:
        raise _connect_error(dsn, exc) from exc
    try:
        with _errors(dsn, lock_timeout), backend.lock(lock_timeout):
            yield backend
    finally:
        backend.connection.close()


@contextmanager
def _readonly_backend(dsn: str) -> Iterator[Backend]:
    """A yoyo backend on a read-only session that creates nothing, not even yoyo's tables.

    Why: ``list`` and ``sql`` must not change the database (``yoyo.get_backend`` would
    create the lock table on connect).
    """
    url = to_yoyo_dsn(dsn)
    try:
        uri = parse_uri(url)
        backend = get_backend_class(uri.scheme)(uri, default_migration_table)
    except (psycopg.Error, OSError) as exc:
        raise _connect_error(dsn, exc) from exc
    try:
        with _errors(dsn):
            backend.execute("SET default_transaction_read_only = on")
            yield backend
    finally:
        backend.connection.close()


def _applied_readonly(backend: Backend) -> dict[str, tuple[str, datetime | None]]:
    """migration hash -> (migration id, applied at UTC), read without creating anything."""
    version = get_current_version(backend)
    if version == 0:
        return {}
    table = backend.migration_table_quoted
    if version == 1:  # yoyo < 6 layout: id, ctime
        rows = backend.execute(f"SELECT id, ctime FROM {table}").fetchall()
        return {get_migration_hash(mid): (mid, at) for mid, at in rows}
    rows = backend.execute(
        f"SELECT migration_hash, migration_id, applied_at_utc FROM {table}"
    ).fetchall()
    return {h: (mid, at) for h, mid, at in rows}


# --------------------------------------------------------------------------- commands


def apply(
    dsn: str,
    schema_dir: Path | str,
    revision: str | None = None,
    *,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    report: Report | None = None,
) -> list[str]:
    """Apply pending migrations (all, or up to and including ``revision``); return their ids.

    Why: the one way deploys and tests bring a database to the schema the code is generated
    against. Each migration runs in its own transaction and is recorded only after it
    committed, so a failure raises MigrationError and leaves the database at the previous
    migration. yoyo's lock serialises concurrent runs: the second waits, then finds
    nothing pending.
    """
    ordered, migrations = _load(schema_dir)
    targets = ordered if revision is None else ordered[: _find(ordered, revision) + 1]
    done: list[str] = []
    with _locked_backend(dsn, lock_timeout) as backend:
        applied = set(backend.get_applied_migration_hashes())
        for m in targets:
            if m.hash in applied:
                continue
            _run_one(backend, "apply", m, ordered, applied)
            applied.add(m.hash)
            done.append(m.id)
            if report:
                report(f"applied {m.id}")
        if done:
            backend.run_post_apply(migrations)
    return done


def rollback(
    dsn: str,
    schema_dir: Path | str,
    revision: str | None = None,
    *,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    report: Report | None = None,
) -> list[str]:
    """Roll back the latest applied migration, or ``revision`` and every applied one after it.

    Why: undo a deploy step by step (no revision) or back to a known point: after
    ``rollback(..., revision="0005")`` the database is at the migration before 0005.
    Migrations are undone newest first, each in its own transaction. Returns the ids
    rolled back, in that order.
    """

    def select(ordered: list[Migration], applied: set[str]) -> list[Migration]:
        if revision is None:
            return [m for m in ordered if m.hash in applied][-1:]
        return [m for m in ordered[_find(ordered, revision) :] if m.hash in applied]

    return _rollback(dsn, schema_dir, select, lock_timeout, report)


def rollback_all(
    dsn: str,
    schema_dir: Path | str,
    *,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    report: Report | None = None,
) -> list[str]:
    """Roll back every applied migration, newest first; return the ids rolled back.

    Why: returns a database to empty (tests use it to prove apply -> rollback -> apply
    reproduces the same schema, i.e. that every rollback file really reverses its migration).
    """

    def select(ordered: list[Migration], applied: set[str]) -> list[Migration]:
        return [m for m in ordered if m.hash in applied]

    return _rollback(dsn, schema_dir, select, lock_timeout, report)


def _rollback(
    dsn: str,
    schema_dir: Path | str,
    select: Callable[[list[Migration], set[str]], list[Migration]],
    lock_timeout: float,
    report: Report | None,
) -> list[str]:
    ordered = load_migrations(schema_dir)
    done: list[str] = []
    with _locked_backend(dsn, lock_timeout) as backend:
        applied = set(backend.get_applied_migration_hashes())
        targets = list(reversed(select(ordered, applied)))
        for m in targets:
            # A .sql migration without a rollback file "rolls back" as a no-op and would be
            # unmarked with its tables left in place; refuse before touching anything.
            if m.is_raw_sql() and not _rollback_path(m).exists():
                raise MigrationError(f"{m.id} has no rollback file {_rollback_path(m).name}")
        for m in targets:
            _run_one(backend, "rollback", m, ordered, applied)
            applied.discard(m.hash)
            done.append(m.id)
            if report:
                report(f"rolled back {m.id}")
    return done


def _run_one(
    backend: Backend,
    direction: Direction,
    m: Migration,
    ordered: list[Migration],
    applied: set[str],
) -> None:
    """Apply or roll back one migration, turning a database error into a MigrationError."""
    try:
        if direction == "apply":
            backend.apply_one(m)
        else:
            backend.rollback_one(m)
    except psycopg.Error as exc:
        undone = (
            "its transaction was rolled back"
            if m.use_transactions
            else "it is not transactional, completed steps were undone as far as possible"
        )
        raise MigrationError(
            f"{direction} of {m.id} failed ({undone}; database is at "
            f"{_current(ordered, applied)}): {_one_line(exc)}"
        ) from exc


def mark(
    dsn: str,
    schema_dir: Path | str,
    revision: str | None = None,
    *,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    report: Report | None = None,
) -> list[str]:
    """Record pending migrations (all, or up to and including ``revision``) as applied.

    Nothing is executed. Why: adopting a database whose schema was created another way
    (restored from a dump, created by hand) so that ``apply`` does not try to create it
    again -- the equivalent of ``alembic stamp``.
    """
    ordered = load_migrations(schema_dir)
    targets = ordered if revision is None else ordered[: _find(ordered, revision) + 1]
    with _locked_backend(dsn, lock_timeout) as backend:
        applied = set(backend.get_applied_migration_hashes())
        pending = [m for m in targets if m.hash not in applied]
        backend.mark_migrations(pending)
    if report:
        for m in pending:
            report(f"marked {m.id}")
    return [m.id for m in pending]


def status(dsn: str, schema_dir: Path | str) -> list[MigrationStatus]:
    """Every migration in order with its applied/pending state, then unknown applied ones.

    Read-only: it creates nothing, so it is safe against any database, including one
    that has never been migrated. Why: to see where a database is before and after a
    deploy (``alembic current``/``history``).
    """
    ordered = load_migrations(schema_dir)
    with _readonly_backend(dsn) as backend:
        applied = _applied_readonly(backend)
    result = [
        MigrationStatus(m.id, m.hash in applied, applied[m.hash][1] if m.hash in applied else None)
        for m in ordered
    ]
    known = {m.hash for m in ordered}
    unknown = [(mid, at) for h, (mid, at) in applied.items() if h not in known]
    unknown.sort(key=lambda row: (row[1] or datetime.min, row[0]))
    result += [MigrationStatus(mid, True, at, known=False) for mid, at in unknown]
    return result


def plan_sql(
    dsn: str,
    schema_dir: Path | str,
    direction: Direction = "apply",
    revision: str | None = None,
    *,
    all_: bool = False,
) -> str:
    """The SQL that ``apply``/``rollback`` with the same arguments would run, as a script.

    Why: lets a reviewer see exactly what a deploy will execute (``alembic upgrade --sql``).
    The applied state is read through a read-only session; nothing is executed and not
    even yoyo's bookkeeping tables are created. yoyo's own bookkeeping statements are not
    shown. ``all_`` (rollback only) selects every applied migration.
    """
    ordered = load_migrations(schema_dir)
    with _readonly_backend(dsn) as backend:
        applied = set(_applied_readonly(backend))
    if direction == "apply":
        upto = ordered if revision is None else ordered[: _find(ordered, revision) + 1]
        targets = [m for m in upto if m.hash not in applied]
    elif all_:
        targets = [m for m in reversed(ordered) if m.hash in applied]
    elif revision is None:
        targets = [m for m in reversed(ordered) if m.hash in applied][:1]
    else:
        start = _find(ordered, revision)
        targets = [m for m in reversed(ordered[start:]) if m.hash in applied]
    header = f"-- {direction}: database is at {_current(ordered, applied)}"
    if not targets:
        return f"{header}\n-- nothing to {direction}\n"
    return header + "\n\n" + "\n\n".join(_migration_sql(m, direction) for m in targets) + "\n"


def _migration_sql(m: Migration, direction: Direction) -> str:
    lines = [f"-- {direction} {m.id}"]
    if not m.is_raw_sql():
        lines.append("-- (Python migration: its SQL cannot be shown)")
        return "\n".join(lines)
    source = Path(m.path) if direction == "apply" else _rollback_path(m)
    if not source.exists():
        lines.append(f"-- ({source.name} does not exist: nothing would be run)")
        return "\n".join(lines)
    _, leading_comment, statements = read_sql_migration(str(source))
    # yoyo strips the file's leading comment from the first statement; keep it for readers.
    lines += [f"-- {line}".rstrip() for line in leading_comment.strip().splitlines()]
    body = [s.strip() if s.strip().endswith(";") else s.strip() + ";" for s in statements]
    if m.use_transactions:
        body = ["BEGIN;", *body, "COMMIT;"]
    return "\n".join(lines + body)


def break_lock(dsn: str) -> None:
    """Remove yoyo's migration lock.

    Why: a run killed while holding the lock (kill -9, lost container) leaves its lock row
    behind and every later run would time out waiting for it. Only use it when no
    migration run is in progress.
    """
    url = to_yoyo_dsn(dsn)
    try:
        backend = get_backend(url)
    except (psycopg.Error, OSError) as exc:
        raise _connect_error(dsn, exc) from exc
    try:
        with _errors(dsn):
            backend.break_lock()
    finally:
        backend.connection.close()


# --------------------------------------------------------------------------- CLI


def _common_options(parser: argparse.ArgumentParser, suppress: bool) -> None:
    """Options accepted both before and after the subcommand.

    On subparsers the defaults are suppressed so that an option given before the
    subcommand is not overwritten by the subparser's default.
    """

    def default(value: Any) -> Any:
        return argparse.SUPPRESS if suppress else value

    parser.add_argument(
        "--dsn",
        default=default(None),
        help="database URL, postgresql://user@host:port/dbname (default: $DATABASE_URL)",
    )
    parser.add_argument(
        "--schema-dir",
        type=Path,
        default=default(None),
        help="migrations directory (default: [tool.codegen] schema in pyproject.toml, "
        "else 'schema')",
    )
    parser.add_argument(
        "--lock-timeout",
        type=float,
        default=default(DEFAULT_LOCK_TIMEOUT),
        help="seconds to wait for another migration run to finish; 0 waits forever "
        f"(default: {DEFAULT_LOCK_TIMEOUT:g})",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=default(False),
        help="log each step yoyo executes; print tracebacks of unexpected errors",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of ``python -m codegen.migrate``."""
    parser = argparse.ArgumentParser(
        prog="python -m codegen.migrate",
        description="Apply, roll back and inspect the schema migrations (yoyo-migrations).",
    )
    _common_options(parser, suppress=False)
    common = argparse.ArgumentParser(add_help=False)
    _common_options(common, suppress=True)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "apply", parents=[common], help="apply pending migrations (all, or up to --revision)"
    )
    p.add_argument("--revision", help="stop after this migration (id or unique prefix)")

    p = sub.add_parser(
        "rollback",
        parents=[common],
        help="roll back the latest applied migration (or down to and including --revision)",
    )
    group = p.add_mutually_exclusive_group()
    group.add_argument("--revision", help="roll back this migration and every one after it")
    group.add_argument("--all", action="store_true", help="roll back every applied migration")

    sub.add_parser("list", parents=[common], help="show each migration as applied or pending")

    p = sub.add_parser(
        "mark", parents=[common], help="record pending migrations as applied without running"
    )
    p.add_argument("--revision", help="stop after this migration (id or unique prefix)")

    p = sub.add_parser(
        "sql", parents=[common], help="print the SQL apply/rollback would run (dry run)"
    )
    p.add_argument("direction", nargs="?", choices=["apply", "rollback"], default="apply")
    p.add_argument("--revision", help="as for apply / rollback")
    p.add_argument("--all", action="store_true", help="as for rollback --all")

    sub.add_parser("break-lock", parents=[common], help="remove a stale migration lock")
    return parser


def _configure_logging(verbose: bool) -> None:
    """Keep yoyo's log records and warnings off stderr unless asked for.

    Without a handler, Python's last-resort handler would print yoyo's warnings (and
    tracebacks it logs) to stderr, breaking the one-line error contract.
    """
    log = logging.getLogger("yoyo")
    log.propagate = False
    log.handlers.clear()
    if verbose:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.DEBUG)
    else:
        log.addHandler(logging.NullHandler())
    warnings.filterwarnings("ignore", module=r"yoyo(\.|$)")


def _run_command(args: argparse.Namespace) -> int:
    dsn: str | None = args.dsn or os.environ.get("DATABASE_URL")
    if not dsn:
        raise MigrationError("no database given: pass --dsn or set DATABASE_URL")
    schema_dir: Path = args.schema_dir or default_schema_dir()
    timeout: float = args.lock_timeout
    say: Report = print

    if args.command == "apply":
        if not apply(dsn, schema_dir, args.revision, lock_timeout=timeout, report=say):
            print("nothing to apply: database is up to date")
    elif args.command == "rollback":
        if args.all:
            done = rollback_all(dsn, schema_dir, lock_timeout=timeout, report=say)
        else:
            done = rollback(dsn, schema_dir, args.revision, lock_timeout=timeout, report=say)
        if not done:
            print("nothing to roll back")
    elif args.command == "mark":
        if not mark(dsn, schema_dir, args.revision, lock_timeout=timeout, report=say):
            print("nothing to mark: every migration is recorded as applied")
    elif args.command == "list":
        rows = status(dsn, schema_dir)
        for row in rows:
            state = "applied" if row.applied else "pending"
            when = row.applied_at.strftime("%Y-%m-%d %H:%M:%S") if row.applied_at else ""
            note = "" if row.known else "  (no such file in the schema directory)"
            print(f"{state:8} {when:19}  {row.id}{note}")
        current = [r.id for r in rows if r.applied and r.known]
        print(f"current: {current[-1] if current else 'none'}")
    elif args.command == "sql":
        if args.all and args.direction != "rollback":
            raise MigrationError("--all is only valid with: sql rollback")
        if args.all and args.revision:
            raise MigrationError("give either --revision or --all, not both")
        sys.stdout.write(plan_sql(dsn, schema_dir, args.direction, args.revision, all_=args.all))
    elif args.command == "break-lock":
        break_lock(dsn)
        print("migration lock removed")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m codegen.migrate``; returns the exit status."""
    args = build_parser().parse_args(argv)
    _configure_logging(args.verbose)
    try:
        return _run_command(args)
    except MigrationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the contract is one line, never a traceback
        if args.verbose:
            traceback.print_exc()
        print(f"error: unexpected {type(exc).__name__}: {_one_line(exc)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
