"""Schema migrations: a small, scriptable library over yoyo-migrations (CLI: `codegen migrate`).

The migrations are the plain SQL files in the schema directory (`NNNN_name.sql` with a
`NNNN_name.rollback.sql` next to each and a `-- depends:` line); yoyo records what has
been applied in its own tables (`_yoyo_migration`, `_yoyo_log`, `yoyo_lock`,
`_yoyo_version`), and we record each applied file's sha256 next to them
(`_yoyo_codegen_checksum`, both files of each), and the progress of non-transactional
migrations per statement (`_yoyo_codegen_progress`). Modules: `source` (the files, offline
SQL), `backend` (connections, session settings, the run lock), `checksums`, `statements`
(how each statement of a non-transactional migration runs, and whether it can run again),
`stepwise` (those migrations, resumable from any statement), `runner` (the commands), `cli`.
"""

from codegen.migrate.backend import DEFAULT_LOCK_TIMEOUT, Session, to_yoyo_dsn
from codegen.migrate.runner import (
    MigrationStatus,
    accept,
    apply,
    break_lock,
    mark,
    plan_sql,
    refuse_edited,
    rollback,
    rollback_all,
    status,
)
from codegen.migrate.source import MigrationError, load_migrations, offline_sql

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "MigrationError",
    "MigrationStatus",
    "Session",
    "accept",
    "apply",
    "break_lock",
    "load_migrations",
    "mark",
    "offline_sql",
    "plan_sql",
    "refuse_edited",
    "rollback",
    "rollback_all",
    "status",
    "to_yoyo_dsn",
]
