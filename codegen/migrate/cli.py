"""`codegen migrate`: the command line over the migration library.

    codegen migrate [--dsn DSN] [--schema-dir DIR] COMMAND [options]

    apply    [--revision ID]          apply pending migrations (all, or up to and including ID)
    rollback [--revision ID | --all]  roll back the latest applied migration; with --revision
                                      ID: ID and every applied migration after it; --all: all
    list                              each migration with its applied/pending status
    mark     [--revision ID]          record pending migrations as applied without running them
    sql      [apply|rollback] [--revision ID] [--all]
                                      print the SQL that command would run; changes nothing
    sql      --from REV | --from-empty
                                      the same offline: no database, from the files alone
    accept   ID                       accept a deliberate edit of an applied migration (logged)
    break-lock                        remove a migration lock an older version's killed run
                                      left (a killed run's lock is taken over by the next run)

`--dsn` defaults to `$DATABASE_URL`; `--schema-dir` to `[tool.codegen] schema` in
./pyproject.toml, else `schema`. Session settings default to `[tool.codegen.migrate]`
(`lock_timeout`, `statement_timeout`, `lock_retries`), else 5s / 5min / 5. Exit status:
0 fine, 1 bad input or a failed migration (one line on stderr), 2 an internal error.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tomllib
import warnings
from pathlib import Path
from typing import Any

from codegen.cliutil import Parser, guarded
from codegen.migrate import runner, source
from codegen.migrate.backend import DEFAULT_LOCK_TIMEOUT, Session
from codegen.migrate.source import MigrationError

DEFAULT_SCHEMA_DIR = "schema"


def _project(cwd: Path) -> dict[str, Any]:
    try:
        with (cwd / "pyproject.toml").open("rb") as f:
            section = tomllib.load(f).get("tool", {}).get("codegen", {})
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    return section if isinstance(section, dict) else {}


def default_schema_dir(cwd: Path | None = None) -> Path:
    """`[tool.codegen] schema` from ./pyproject.toml, else `schema`: the generator reads the
    same setting, so what is applied and what code is generated against cannot drift apart."""
    base = Path.cwd() if cwd is None else cwd
    value = _project(base).get("schema", DEFAULT_SCHEMA_DIR)
    return base / (value if isinstance(value, str) and value else DEFAULT_SCHEMA_DIR)


def default_session(cwd: Path | None = None) -> Session:
    """Session settings from `[tool.codegen.migrate]`, else the library defaults."""
    section = _project(Path.cwd() if cwd is None else cwd).get("migrate", {})
    base = Session()
    if not isinstance(section, dict):
        raise MigrationError("pyproject.toml: [tool.codegen.migrate] must be a table")
    retries = section.get("lock_retries", base.retries)
    if not isinstance(retries, int) or retries < 0:
        raise MigrationError("pyproject.toml: [tool.codegen.migrate] lock_retries: not an int >= 0")
    return Session(
        lock_timeout=str(section.get("lock_timeout", base.lock_timeout)),
        statement_timeout=str(section.get("statement_timeout", base.statement_timeout)),
        retries=retries,
    )


def _common_options(parser: argparse.ArgumentParser, suppress: bool) -> None:
    """Options accepted before and after the subcommand (defaults suppressed on subparsers,
    so an option given before the subcommand is not overwritten by the subparser's)."""

    def add(*flags: str, default: Any = None, **kw: Any) -> None:
        parser.add_argument(*flags, default=argparse.SUPPRESS if suppress else default, **kw)

    add("--dsn", help="database URL, postgresql://user@host:port/dbname (default: $DATABASE_URL)")
    add("--schema-dir", type=Path, help="migrations directory (default: [tool.codegen] schema)")
    add(
        "--lock-timeout",
        type=float,
        default=DEFAULT_LOCK_TIMEOUT,
        help="seconds to wait for another migration run to finish; 0 waits forever "
        f"(default: {DEFAULT_LOCK_TIMEOUT:g})",
    )
    add("--ddl-lock-timeout", help="PostgreSQL lock_timeout of every migration (default 5s)")
    add("--statement-timeout", help="PostgreSQL statement_timeout of every migration (5min)")
    add("--lock-retries", type=int, help="retries of a migration that hit its lock_timeout (5)")
    add("-v", "--verbose", action="store_true", default=False, help="log each step yoyo runs")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="codegen migrate",
        description="Apply, roll back and inspect the schema migrations (yoyo-migrations).",
    )
    _common_options(parser, suppress=False)
    common = Parser(add_help=False)
    _common_options(common, suppress=True)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def cmd(name: str, text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[common], help=text)

    revision = "stop after this migration (id or unique prefix)"
    cmd("apply", "apply pending migrations (all, or up to --revision)").add_argument(
        "--revision", help=revision
    )
    p = cmd("rollback", "roll back the latest migration (or down to and including --revision)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--revision", help="roll back this migration and every one after it")
    group.add_argument("--all", action="store_true", help="roll back every applied migration")
    cmd("list", "show each migration as applied or pending")
    cmd("mark", "record pending migrations as applied without running").add_argument(
        "--revision", help=revision
    )
    p = cmd("sql", "print the SQL apply/rollback would run (dry run)")
    p.add_argument("direction", nargs="?", choices=["apply", "rollback"], default="apply")
    p.add_argument("--revision", help="as for apply / rollback")
    p.add_argument("--all", action="store_true", help="as for rollback --all")
    p.add_argument("--from", dest="from_", metavar="REV", help="offline: the SQL after REV")
    p.add_argument("--from-empty", action="store_true", help="offline: every migration's SQL")
    cmd("accept", "accept a deliberate edit of an applied migration (logged)").add_argument(
        "revision", help="the edited migration (id or unique prefix)"
    )
    cmd("break-lock", "remove a stale migration lock")
    return parser


def _configure_logging(verbose: bool) -> None:
    """Keep yoyo's log records and warnings off stderr unless asked for (Python's
    last-resort handler would print them, breaking the one-line error contract)."""
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


def _session(args: argparse.Namespace) -> Session:
    base = default_session()
    return Session(
        lock_timeout=args.ddl_lock_timeout or base.lock_timeout,
        statement_timeout=args.statement_timeout or base.statement_timeout,
        retries=base.retries if args.lock_retries is None else args.lock_retries,
    )


def _offline(args: argparse.Namespace, schema_dir: Path) -> int:
    if args.direction != "apply" or args.all or args.revision:
        raise MigrationError("sql --from/--from-empty prints pending apply SQL only")
    sys.stdout.write(source.offline_sql(schema_dir, None if args.from_empty else args.from_))
    return 0


def _list(dsn: str, schema_dir: Path) -> int:
    rows = runner.status(dsn, schema_dir)
    for row in rows:
        state = "applied" if row.applied else "pending"
        when = row.applied_at.strftime("%Y-%m-%d %H:%M:%S") if row.applied_at else ""
        note = "" if row.known else "  (no such file in the schema directory)"
        note += "  (EDITED since it was applied)" if row.edited else ""
        if row.interrupted:
            note += f"  (INTERRUPTED: {row.interrupted}; apply finishes it, rollback reverses it)"
        print(f"{state:8} {when:19}  {row.id}{note}")
    current = [r.id for r in rows if r.applied and r.known]
    print(f"current: {current[-1] if current else 'none'}")
    runner.refuse_edited(dsn, schema_dir)
    return 0


def _run(args: argparse.Namespace) -> int:
    schema_dir: Path = args.schema_dir or default_schema_dir()
    if args.command == "sql" and (args.from_ or args.from_empty):
        return _offline(args, schema_dir)
    dsn: str | None = args.dsn or os.environ.get("DATABASE_URL")
    if not dsn:
        raise MigrationError("no database given: pass --dsn or set DATABASE_URL")
    wait: float = args.lock_timeout
    kw: dict[str, Any] = {"lock_timeout": wait, "report": print}
    if args.command == "apply":
        if not runner.apply(dsn, schema_dir, args.revision, session=_session(args), **kw):
            print("nothing to apply: database is up to date")
    elif args.command == "rollback":
        kw["session"] = _session(args)
        done = (
            runner.rollback_all(dsn, schema_dir, **kw)
            if args.all
            else runner.rollback(dsn, schema_dir, args.revision, **kw)
        )
        if not done:
            print("nothing to roll back")
    elif args.command == "mark":
        if not runner.mark(dsn, schema_dir, args.revision, **kw):
            print("nothing to mark: every migration is recorded as applied")
    elif args.command == "list":
        return _list(dsn, schema_dir)
    elif args.command == "sql":
        if args.all and args.direction != "rollback":
            raise MigrationError("--all is only valid with: sql rollback")
        if args.all and args.revision:
            raise MigrationError("give either --revision or --all, not both")
        sys.stdout.write(
            runner.plan_sql(dsn, schema_dir, args.direction, args.revision, all_=args.all)
        )
    elif args.command == "accept":
        mid, old = runner.accept(dsn, schema_dir, args.revision, lock_timeout=wait)
        print(
            f"accepted the edit of {mid} (previous checksum {old or 'none'}); logged in _yoyo_log"
        )
    elif args.command == "break-lock":
        runner.break_lock(dsn)
        print("migration lock removed")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of `codegen migrate`; returns the exit status (0, 1 or 2)."""
    args = build_parser().parse_args(argv)
    _configure_logging(args.verbose)
    return guarded(lambda: _run(args))
