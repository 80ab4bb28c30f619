"""The migration files: reading them in apply order, naming revisions, checksums, their SQL.

Everything here works without a database, so `migrate sql --from REV` (a reviewer printing
a pull request's SQL) and the migration lint share it with the commands that apply.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import psycopg
from yoyo import read_migrations  # type: ignore[import-untyped]
from yoyo.exceptions import BadMigration, MigrationConflict  # type: ignore[import-untyped]
from yoyo.migrations import read_sql_migration, topological_sort  # type: ignore[import-untyped]

from codegen.errors import CodegenError, shown

# yoyo has no type information; its objects are Any. These aliases document intent.
Migration = Any  # yoyo.migrations.Migration
Direction = Literal["apply", "rollback"]


class MigrationError(CodegenError):
    """Bad input or a failed migration: one line, exit status 1 (no source location)."""


def load_migrations(schema_dir: Path | str) -> list[Migration]:
    """All migrations in `schema_dir`, loaded, in the order they are applied."""
    return load(schema_dir)[0]


def load(schema_dir: Path | str) -> tuple[list[Migration], Any]:
    """(ordered migrations, yoyo MigrationList); the list also carries post-apply hooks.

    Migrations are loaded right after being read because yoyo resolves `depends` through a
    process-wide registry keyed by id: reading a second directory with the same ids (tests
    do) before loading would wire dependencies to the other directory's objects.
    """
    path = Path(schema_dir)
    if not path.is_dir():
        raise MigrationError(f"schema directory not found: {shown(path)}")
    try:
        migrations = read_migrations(str(path))
        for m in [*migrations, *migrations.post_apply]:
            m.load()
        ordered = list(topological_sort(migrations))
    except (BadMigration, MigrationConflict, OSError, ValueError) as exc:
        raise MigrationError(f"cannot read migrations in {shown(path)}: {one_line(exc)}") from exc
    if not ordered:
        raise MigrationError(f"no migrations found in {shown(path)}")
    return ordered, migrations


def find(ordered: Sequence[Migration], revision: str) -> int:
    """Index of `revision` (an exact id or an unambiguous prefix) in `ordered`."""
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


def upto(ordered: list[Migration], revision: str | None) -> list[Migration]:
    """The migrations up to and including `revision` (all of them for None)."""
    return ordered if revision is None else ordered[: find(ordered, revision) + 1]


def rollback_path(m: Migration) -> Path:
    return Path(os.path.splitext(m.path)[0] + ".rollback.sql")


def checksum(m: Migration) -> str:
    """sha256 of the migration file's bytes: what was applied, to notice later edits."""
    return hashlib.sha256(Path(m.path).read_bytes()).hexdigest()


def rollback_checksum(m: Migration) -> str | None:
    """sha256 of the rollback file's bytes (what `rollback` would run); None without one."""
    path = rollback_path(m)
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def statement_offsets(text: str, statements: Sequence[str]) -> list[int]:
    """Where each of `statements` (a file's, in order) starts in the file's `text`: its first
    line that is not a comment (yoyo keeps the comment lines above a statement with it)."""
    out, at = [], 0
    for statement in statements:
        at = max(text.find(statement.strip(), at), 0)
        start = at
        for line in statement.strip().splitlines(keepends=True):
            if line.strip() and not line.lstrip().startswith("--"):
                break
            start += len(line)
        out.append(start)
    return out


def statements(m: Migration, direction: Direction) -> list[str]:
    """The statements of the apply or rollback file, split as yoyo splits them (one step
    each): the unit the runner runs, records and resumes non-transactional migrations by."""
    path = Path(m.path) if direction == "apply" else rollback_path(m)
    return [s.strip() for s in read_sql_migration(str(path))[2]]


def current(ordered: Sequence[Migration], applied: set[str] | dict[str, Any]) -> str:
    """The last applied migration in order (by yoyo hash), as used in messages."""
    done = [m.id for m in ordered if m.hash in applied]
    return done[-1] if done else "(no migration applied)"


def one_line(exc: BaseException) -> str:
    """An exception as one line: PostgreSQL's primary message when there is one."""
    if isinstance(exc, psycopg.Error) and exc.diag.message_primary:
        text = exc.diag.message_primary
    else:
        text = str(exc).strip() or type(exc).__name__
    first = text.splitlines()[0] if text else type(exc).__name__
    return " ".join(first.split())


def migration_sql(m: Migration, direction: Direction) -> str:
    """One migration's SQL as a script a reviewer can read (and psql could run)."""
    lines = [f"-- {direction} {m.id}"]
    if not m.is_raw_sql():
        lines.append("-- (Python migration: its SQL cannot be shown)")
        return "\n".join(lines)
    source = Path(m.path) if direction == "apply" else rollback_path(m)
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


def script(header: str, targets: Sequence[Migration], direction: Direction) -> str:
    """`header`, then each target's SQL, or a note that there is nothing to do."""
    if not targets:
        return f"{header}\n-- nothing to {direction}\n"
    return header + "\n\n" + "\n\n".join(migration_sql(m, direction) for m in targets) + "\n"


def offline_sql(schema_dir: Path | str, from_revision: str | None = None) -> str:
    """The SQL `apply` would run on a database at `from_revision` (None: an empty one).

    No database is needed: a reviewer prints a pull request's migrations from the files.
    """
    ordered = load_migrations(schema_dir)
    start = 0 if from_revision is None else find(ordered, from_revision) + 1
    at = "an empty database" if from_revision is None else ordered[start - 1].id
    return script(f"-- apply: from {at} (offline, no database read)", ordered[start:], "apply")
