"""Content hashes of applied migrations: an edited, already applied file is never invisible.

yoyo identifies a migration by its id only, so after someone edits an applied file
`apply` would say "nothing to do" while the database lacks what the file now says (and
what the generated code is typed against). We record the sha256 of each file when it is
applied, and `apply`, `list` and `drift` refuse to go on when an applied file changed,
naming it. A deliberate edit (a comment, a fix already made by hand) is accepted with
`codegen migrate accept ID`, which is written to yoyo's log table with the old and new hash.
The rollback file is hashed too (`rollback` runs it, and it undoes a half-run apply of a
non-transactional migration): databases applied before that have its hash recorded on the
next `apply`.

A file rewritten on purpose without changing what it leaves behind (made re-entrant, say)
is listed in `superseded.toml` in the schema directory: the hash databases recorded, the
hash of the new text, and why. A database that recorded exactly that old hash is taken to
have applied the new text (`apply` records it, logged as an accept); any other edit is
refused as before.

The table lives next to yoyo's and is named like them, so every tool that skips yoyo's
bookkeeping (grants, drift, the tests' schema snapshots) skips it too.
"""

from __future__ import annotations

import getpass
import socket
import tomllib
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from codegen.migrate.backend import Backend
from codegen.migrate.source import (
    Migration,
    MigrationError,
    checksum,
    rollback_checksum,
    rollback_path,
)

TABLE = "_yoyo_codegen_checksum"
SUPERSEDED = "superseded.toml"

_CREATE = f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    migration_id text PRIMARY KEY,
    sha256 text NOT NULL,
    recorded_at_utc timestamp NOT NULL,
    rollback_sha256 text NULL
)"""


class Recorded(NamedTuple):
    sha256: str
    rollback_sha256: str | None  # None: recorded before rollback files were hashed


def ensure_table(b: Backend) -> None:
    with b.transaction():
        b.execute(_CREATE)
        b.execute(f"ALTER TABLE {TABLE} ADD COLUMN IF NOT EXISTS rollback_sha256 text NULL")


def recorded(b: Backend) -> dict[str, Recorded]:
    """migration id -> recorded hashes; empty when the table does not exist (read-only safe,
    and the rollback hash reads as None in a table made before it had the column)."""
    exists = b.execute("SELECT to_regclass(%(t)s) IS NOT NULL", {"t": TABLE}).fetchone()[0]
    if not exists:
        return {}
    rows = b.execute(
        f"SELECT migration_id, sha256, to_jsonb(c) ->> 'rollback_sha256' FROM {TABLE} c"
    ).fetchall()
    return {mid: Recorded(sha, rb) for mid, sha, rb in rows}


def record(b: Backend, m: Migration) -> None:
    """Remember the hashes `m` was applied with (inside the caller's transaction or not)."""
    b.execute(
        f"INSERT INTO {TABLE} (migration_id, sha256, rollback_sha256, recorded_at_utc) "
        "VALUES (%(id)s, %(sha)s, %(rb)s, %(at)s) ON CONFLICT (migration_id) DO UPDATE SET "
        "sha256 = EXCLUDED.sha256, rollback_sha256 = EXCLUDED.rollback_sha256, "
        "recorded_at_utc = EXCLUDED.recorded_at_utc",
        {"id": m.id, "sha": checksum(m), "rb": rollback_checksum(m), "at": _now()},
    )


class Superseded(NamedTuple):
    migration: str
    old: str
    new: str
    reason: str


def superseded(schema_dir: Path | str) -> list[Superseded]:
    """The rewritten-on-purpose texts listed in the schema directory's `superseded.toml`."""
    path = Path(schema_dir) / SUPERSEDED
    if not path.exists():
        return []
    try:
        entries = tomllib.loads(path.read_text(encoding="utf-8")).get("superseded", [])
        return [Superseded(e["migration"], e["old"], e["new"], e["reason"]) for e in entries]
    except (tomllib.TOMLDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise MigrationError(
            f"{path}: each [[superseded]] needs migration, old, new, reason ({exc})"
        ) from exc


def upgraded(
    applied: Sequence[Migration], known: dict[str, Recorded], schema_dir: Path | str
) -> list[tuple[Migration, Superseded]]:
    """Applied migrations recorded with a superseded text whose file is now its successor."""
    return [
        (m, entry)
        for entry in superseded(schema_dir)
        for m in applied
        if m.id == entry.migration
        and m.id in known
        and known[m.id].sha256 == entry.old
        and checksum(m) == entry.new
    ]


def forget(b: Backend, m: Migration) -> None:
    b.execute(f"DELETE FROM {TABLE} WHERE migration_id = %(id)s", {"id": m.id})


def changed_files(m: Migration, known: Recorded) -> list[Path]:
    """`m`'s files whose bytes differ from what was recorded (a rollback hash not yet
    recorded counts as unchanged: it is recorded on the next apply)."""
    out = [Path(m.path)] if known.sha256 != checksum(m) else []
    if known.rollback_sha256 is not None and known.rollback_sha256 != rollback_checksum(m):
        out.append(rollback_path(m))
    return out


def edited(
    applied: Sequence[Migration],
    known: dict[str, Recorded],
    schema_dir: Path | str | None = None,
) -> list[Migration]:
    """The applied migrations whose files no longer have the recorded hashes (a superseded
    text replaced by its listed successor is not an edit)."""
    ok = {m.id for m, _ in upgraded(applied, known, schema_dir)} if schema_dir else set()
    mine = [m for m in applied if m.id in known and m.id not in ok]
    return [m for m in mine if changed_files(m, known[m.id])]


def unrecorded(applied: Sequence[Migration], known: dict[str, Recorded]) -> list[Migration]:
    """Applied migrations without a recorded hash, or without the rollback file's hash
    (applied before hashes were kept)."""
    return [
        m
        for m in applied
        if m.id not in known
        or (known[m.id].rollback_sha256 is None and rollback_checksum(m) is not None)
    ]


def refuse_edited(
    applied: Sequence[Migration], known: dict[str, Recorded], schema_dir: Path | str | None = None
) -> None:
    """MigrationError naming every applied file that changed since it was applied."""
    changed = edited(applied, known, schema_dir)
    if not changed:
        return
    files = ", ".join(str(p) for m in changed for p in changed_files(m, known[m.id]))
    first = changed[0].id
    raise MigrationError(
        f"applied migration changed since it was applied: {files} (the database does not "
        "have the edit; restore the file and add a new migration, or if the edit is "
        f"deliberate accept it with: codegen migrate accept {first})"
    )


def accept(b: Backend, m: Migration, old: str | None, why: str = "") -> None:
    """Record `m`'s current hashes and log who accepted the edit, from what hash to what."""
    record(b, m)
    b.execute(
        "INSERT INTO _yoyo_log (id, migration_hash, migration_id, operation, username, "
        "hostname, comment, created_at_utc) VALUES (%(id)s, %(hash)s, %(mid)s, 'accept', "
        "%(user)s, %(host)s, %(comment)s, %(at)s)",
        {
            "id": str(uuid.uuid1()),
            "hash": m.hash,
            "mid": m.id,
            "user": getpass.getuser(),
            "host": socket.getfqdn(),
            "comment": f"checksum {old or '(none)'} -> {checksum(m)}{why}",
            "at": _now(),
        },
    )


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
