"""Content hashes of applied migrations: an edited, already applied file is never invisible.

yoyo identifies a migration by its id only, so after someone edits an applied file
`apply` would say "nothing to do" while the database lacks what the file now says (and
what the generated code is typed against). We record the sha256 of each file when it is
applied, and `apply`, `list` and `drift` refuse to go on when an applied file changed,
naming it. A deliberate edit (a comment, a fix already made by hand) is accepted with
`codegen migrate accept ID`, which is written to yoyo's log table with the old and new hash.

The table lives next to yoyo's and is named like them, so every tool that skips yoyo's
bookkeeping (grants, drift, the tests' schema snapshots) skips it too.
"""

from __future__ import annotations

import getpass
import socket
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from codegen.migrate.backend import Backend
from codegen.migrate.source import Migration, MigrationError, checksum

TABLE = "_yoyo_codegen_checksum"

_CREATE = f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    migration_id text PRIMARY KEY,
    sha256 text NOT NULL,
    recorded_at_utc timestamp NOT NULL
)"""


def ensure_table(b: Backend) -> None:
    with b.transaction():
        b.execute(_CREATE)


def recorded(b: Backend) -> dict[str, str]:
    """migration id -> recorded sha256; empty when the table does not exist (read-only safe)."""
    exists = b.execute("SELECT to_regclass(%(t)s) IS NOT NULL", {"t": TABLE}).fetchone()[0]
    if not exists:
        return {}
    rows = b.execute(f"SELECT migration_id, sha256 FROM {TABLE}").fetchall()
    return {mid: sha for mid, sha in rows}


def record(b: Backend, m: Migration) -> None:
    """Remember the hash `m` was applied with (inside the caller's transaction or not)."""
    b.execute(
        f"INSERT INTO {TABLE} (migration_id, sha256, recorded_at_utc) VALUES (%(id)s, %(sha)s, "
        "%(at)s) ON CONFLICT (migration_id) DO UPDATE SET sha256 = EXCLUDED.sha256, "
        "recorded_at_utc = EXCLUDED.recorded_at_utc",
        {"id": m.id, "sha": checksum(m), "at": _now()},
    )


def forget(b: Backend, m: Migration) -> None:
    b.execute(f"DELETE FROM {TABLE} WHERE migration_id = %(id)s", {"id": m.id})


def edited(applied: Sequence[Migration], known: dict[str, str]) -> list[Migration]:
    """The applied migrations whose file no longer has the recorded hash."""
    return [m for m in applied if m.id in known and known[m.id] != checksum(m)]


def unrecorded(applied: Sequence[Migration], known: dict[str, str]) -> list[Migration]:
    """Applied migrations without a recorded hash (applied before hashes were kept)."""
    return [m for m in applied if m.id not in known]


def refuse_edited(applied: Sequence[Migration], known: dict[str, str]) -> None:
    """MigrationError naming every applied file that changed since it was applied."""
    changed = edited(applied, known)
    if not changed:
        return
    files = ", ".join(str(m.path) for m in changed)
    first = changed[0].id
    raise MigrationError(
        f"applied migration changed since it was applied: {files} (the database does not "
        "have the edit; restore the file and add a new migration, or if the edit is "
        f"deliberate accept it with: codegen migrate accept {first})"
    )


def accept(b: Backend, m: Migration, old: str | None) -> None:
    """Record `m`'s current hash and log who accepted the edit, from what hash to what."""
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
            "comment": f"checksum {old or '(none)'} -> {checksum(m)}",
            "at": _now(),
        },
    )


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
