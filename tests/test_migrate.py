"""The schema migrations and the `codegen migrate` command, on a real PostgreSQL.

Every test gets a brand-new database from the `empty_db` fixture. The migrate functions
are synchronous (yoyo over psycopg 3); checks on the resulting database use asyncpg.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest

from codegen import dbutil, drift, migrate
from codegen.migrate import backend as migrate_backend
from codegen.migrate import cli as migrate_cli
from tests.conftest import fixture_migration, migration_ids, schema_tables

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "schema"
MIGRATIONS = migration_ids()
APP_TABLES = schema_tables()
# The columns `SELECT * FROM chat_model_configs` must return, in this order (sqlc-style
# queries select * and the generated row type follows the table's column order).
CHAT_MODEL_CONFIG_COLUMNS = [
    ("id", "uuid"),
    ("provider", "text"),
    ("model", "text"),
    ("display_name", "text"),
    ("created_by", "uuid"),
    ("updated_by", "uuid"),
    ("enabled", "boolean"),
    ("is_default", "boolean"),
    ("context_limit", "bigint"),
    ("compression_threshold", "integer"),
    ("options", "jsonb"),
    ("deleted", "boolean"),
    ("deleted_at", "timestamp with time zone"),
    ("created_at", "timestamp with time zone"),
    ("updated_at", "timestamp with time zone"),
]


# --------------------------------------------------------------------------- helpers


@asynccontextmanager
async def connect(dsn: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(dsn)
    try:
        yield conn
    finally:
        await conn.close()


async def public_tables(dsn: str) -> set[str]:
    async with connect(dsn) as conn:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {r["tablename"] for r in rows}


async def app_tables(dsn: str) -> set[str]:
    return {t for t in await public_tables(dsn) if "yoyo" not in t}


async def applied_ids(dsn: str) -> list[str]:
    async with connect(dsn) as conn:
        rows = await conn.fetch("SELECT migration_id FROM _yoyo_migration ORDER BY migration_id")
    return [r["migration_id"] for r in rows]


def run_cli(
    *args: str, dsn: str | None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m codegen migrate` as a user would, from the repository root."""
    cmd = [sys.executable, "-m", "codegen", "migrate", *(["--dsn", dsn] if dsn else []), *args]
    return subprocess.run(
        cmd, cwd=ROOT, capture_output=True, text=True, timeout=60, env=env or dict(os.environ)
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0]


catalog_snapshot = drift.snapshot_of


async def insert_chat(conn: asyncpg.Connection) -> uuid.UUID:
    """An account, a user, an agent and a chat of theirs; returns the chat id."""
    account = await conn.fetchval("INSERT INTO accounts (name) VALUES ('acme') RETURNING id")
    user = await conn.fetchval(
        "INSERT INTO users (account_id, email) VALUES ($1, $2) RETURNING id",
        account,
        f"{uuid.uuid4().hex}@example.com",
    )
    agent = await conn.fetchval(
        "INSERT INTO agents (account_id, name) VALUES ($1, 'helper') RETURNING id", account
    )
    chat: uuid.UUID = await conn.fetchval(
        "INSERT INTO chats (account_id, user_id, agent_id) VALUES ($1, $2, $3) RETURNING id",
        account,
        user,
        agent,
    )
    return chat


INSERT_MESSAGE = """
    INSERT INTO chat_messages (chat_id, client_message_id, role, content)
    VALUES ($1, $2, 'user', 'hello') RETURNING id"""

INSERT_CONFIG = """
    INSERT INTO chat_model_configs
        (provider, model, display_name, is_default, context_limit, compression_threshold,
         deleted, deleted_at)
    VALUES ($1, $2, $2, $3, 128000, 70, $4, CASE WHEN $4 THEN now() END)
    RETURNING id"""


# --------------------------------------------------------------------------- apply / list


async def test_apply_all_on_empty_db_creates_every_table(empty_db: str) -> None:
    assert migrate.apply(empty_db, SCHEMA) == MIGRATIONS
    assert await app_tables(empty_db) == APP_TABLES
    assert await applied_ids(empty_db) == MIGRATIONS

    statuses = migrate.status(empty_db, SCHEMA)
    assert [(s.id, s.applied, s.known) for s in statuses] == [(m, True, True) for m in MIGRATIONS]
    assert all(s.applied_at is not None for s in statuses)

    listed = run_cli("list", dsn=empty_db)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    for mid in MIGRATIONS:
        assert any(line.startswith("applied") and line.endswith(mid) for line in lines), lines
    assert not any(line.startswith("pending") for line in lines)
    assert lines[-1] == f"current: {MIGRATIONS[-1]}"

    assert migrate.apply(empty_db, SCHEMA) == []  # idempotent


async def test_list_on_fresh_db_shows_pending_and_creates_nothing(empty_db: str) -> None:
    listed = run_cli("list", dsn=empty_db)
    assert listed.returncode == 0, listed.stderr
    assert [line.split()[-1] for line in listed.stdout.splitlines()[:-1]] == MIGRATIONS
    assert all(line.startswith("pending") for line in listed.stdout.splitlines()[:-1])
    assert listed.stdout.splitlines()[-1] == "current: none"
    assert await public_tables(empty_db) == set()


async def test_chat_model_configs_columns_in_order(empty_db: str) -> None:
    migrate.apply(empty_db, SCHEMA)
    async with connect(empty_db) as conn:
        rows = await conn.fetch(
            """SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
               WHERE attrelid = 'chat_model_configs'::regclass AND attnum > 0
                 AND NOT attisdropped ORDER BY attnum"""
        )
    assert [tuple(r) for r in rows] == CHAT_MODEL_CONFIG_COLUMNS


# --------------------------------------------------------------------------- rollback


async def test_apply_rollback_all_apply_reproduces_identical_schema(empty_db: str) -> None:
    migrate.apply(empty_db, SCHEMA)
    first = await catalog_snapshot(empty_db)
    assert {name.partition(".")[0] for name in first["column"]} == APP_TABLES
    assert len(first["constraint"]) > 20 and len(first["index"]) > 15

    assert migrate.rollback_all(empty_db, SCHEMA) == MIGRATIONS[::-1]
    assert await app_tables(empty_db) == set()
    async with dbutil.scratch_database(empty_db) as new:  # what a new database has
        assert await catalog_snapshot(empty_db) == await catalog_snapshot(new)
    assert await applied_ids(empty_db) == []

    assert migrate.apply(empty_db, SCHEMA) == MIGRATIONS
    second = await catalog_snapshot(empty_db)
    assert second == first


async def test_rollback_latest_and_down_to_revision(empty_db: str) -> None:
    migrate.apply(empty_db, SCHEMA)

    assert migrate.rollback(empty_db, SCHEMA) == MIGRATIONS[-1:]
    assert await applied_ids(empty_db) == MIGRATIONS[:-1]
    assert await app_tables(empty_db) == schema_tables(len(MIGRATIONS) - 1)

    # --revision: that migration and everything after it, via the CLI with a prefix.
    result = run_cli("rollback", "--revision", "0004", dsn=empty_db)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"rolled back {m}" for m in MIGRATIONS[3:-1][::-1]]
    assert await app_tables(empty_db) == schema_tables(3)
    assert await applied_ids(empty_db) == MIGRATIONS[:3]

    # apply --revision stops after the given migration.
    assert migrate.apply(empty_db, SCHEMA, revision="0004_chats") == ["0004_chats"]
    assert await applied_ids(empty_db) == MIGRATIONS[:4]

    result = run_cli("rollback", "--all", dsn=empty_db)
    assert result.returncode == 0, result.stderr
    assert await app_tables(empty_db) == set()
    result = run_cli("rollback", dsn=empty_db)
    assert (result.returncode, result.stdout.strip()) == (0, "nothing to roll back")


async def test_unknown_revision_is_an_error(empty_db: str) -> None:
    with pytest.raises(migrate.MigrationError, match="unknown revision"):
        migrate.apply(empty_db, SCHEMA, revision="0099")
    with pytest.raises(migrate.MigrationError, match="ambiguous"):
        migrate.rollback(empty_db, SCHEMA, revision="000")
    assert await app_tables(empty_db) == set()


# --------------------------------------------------------------------------- sql / mark


def _not_transactional(migration: str) -> bool:
    return "-- transactional: false" in (SCHEMA / f"{migration}.sql").read_text()


async def test_sql_dry_run_prints_ddl_and_changes_nothing(empty_db: str) -> None:
    result = run_cli("sql", dsn=empty_db)
    assert result.returncode == 0, result.stderr
    for table in APP_TABLES:
        assert re.search(rf"^CREATE TABLE (IF NOT EXISTS )?{table} \(", result.stdout, re.M), table
    assert "ADD CONSTRAINT chat_messages_chat_id_fkey" in result.stdout
    # one transaction per transactional migration; the others spell theirs out
    spelled = sum((SCHEMA / f"{m}.sql").read_text().count("\nBEGIN;") for m in MIGRATIONS)
    transactional = [m for m in MIGRATIONS if not _not_transactional(m)]
    assert result.stdout.count("BEGIN;") == len(transactional) + spelled
    # Not even yoyo's bookkeeping tables were created.
    assert await public_tables(empty_db) == set()

    partial = run_cli("sql", "apply", "--revision", "0002", dsn=empty_db)
    assert "CREATE TABLE chat_providers" in partial.stdout
    assert "CREATE TABLE chat_model_configs" not in partial.stdout

    migrate.apply(empty_db, SCHEMA)
    snapshot = await catalog_snapshot(empty_db)
    back = run_cli("sql", "rollback", "--all", dsn=empty_db)
    assert back.returncode == 0, back.stderr
    assert back.stdout.index(
        "DROP CONSTRAINT IF EXISTS chat_messages_chat_id_fkey"
    ) < back.stdout.index("DROP TABLE accounts")
    latest = run_cli("sql", "rollback", dsn=empty_db)
    headers = [line for line in latest.stdout.splitlines() if line.startswith("-- rollback ")]
    assert headers == [f"-- rollback {MIGRATIONS[-1]}"]
    assert await catalog_snapshot(empty_db) == snapshot
    assert await applied_ids(empty_db) == MIGRATIONS


async def test_mark_records_without_creating_tables(empty_db: str) -> None:
    result = run_cli("mark", "--revision", "0002_chat_providers", dsn=empty_db)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"marked {m}" for m in MIGRATIONS[:2]]
    assert await applied_ids(empty_db) == MIGRATIONS[:2]
    assert await app_tables(empty_db) == set()

    assert migrate.mark(empty_db, SCHEMA) == MIGRATIONS[2:]
    assert await applied_ids(empty_db) == MIGRATIONS
    assert await app_tables(empty_db) == set()
    assert migrate.apply(empty_db, SCHEMA) == []  # everything counts as applied


# --------------------------------------------------------------------------- 0006 data migration


async def test_chat_fk_migration_deletes_orphans_and_enforces_fk(empty_db: str) -> None:
    assert migrate.apply(empty_db, SCHEMA, revision="0005_chat_messages") == MIGRATIONS[:5]
    async with connect(empty_db) as conn:
        chat = await insert_chat(conn)
        kept = await conn.fetchval(INSERT_MESSAGE, chat, uuid.uuid4())
        orphan = await conn.fetchval(INSERT_MESSAGE, uuid.uuid4(), uuid.uuid4())

    assert migrate.apply(empty_db, SCHEMA, revision="0006") == ["0006_chat_messages_chat_fk"]

    async with connect(empty_db) as conn:
        ids = {r["id"] for r in await conn.fetch("SELECT id FROM chat_messages")}
        assert ids == {kept}
        assert orphan not in ids
        with pytest.raises(asyncpg.ForeignKeyViolationError):
            await conn.execute(INSERT_MESSAGE, uuid.uuid4(), uuid.uuid4())
        await conn.execute(INSERT_MESSAGE, chat, uuid.uuid4())
        await conn.execute("DELETE FROM chats WHERE id = $1", chat)
        assert await conn.fetchval("SELECT count(*) FROM chat_messages") == 0


async def test_chat_fk_migration_on_empty_tables(empty_db: str) -> None:
    migrate.apply(empty_db, SCHEMA, revision="0005")
    assert migrate.apply(empty_db, SCHEMA, revision="0006") == ["0006_chat_messages_chat_fk"]
    async with connect(empty_db) as conn:
        definition = await conn.fetchval(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conname = 'chat_messages_chat_id_fkey'"
        )
    assert definition == "FOREIGN KEY (chat_id) REFERENCES chats(id) ON DELETE CASCADE"


# --------------------------------------------------------------------------- constraints


async def test_model_config_constraints(empty_db: str) -> None:
    migrate.apply(empty_db, SCHEMA)
    async with connect(empty_db) as conn:
        # No provider row exists at all: there is deliberately no FK to chat_providers.
        await conn.execute(INSERT_CONFIG, "gone-provider", "old-default", True, True)
        await conn.execute(INSERT_CONFIG, "openai", "gpt", True, False)
        with pytest.raises(asyncpg.UniqueViolationError):
            await conn.execute(INSERT_CONFIG, "openai", "gpt-2", True, False)
        await conn.execute(INSERT_CONFIG, "openai", "gpt-3", False, False)
        # Soft-deleting the live default (as DeleteChatModelConfigByID does) frees the slot.
        await conn.execute(
            "UPDATE chat_model_configs SET deleted = TRUE, deleted_at = now() "
            "WHERE is_default AND NOT deleted"
        )
        await conn.execute("UPDATE chat_model_configs SET is_default = TRUE WHERE model = 'gpt-3'")
        live = await conn.fetch(
            "SELECT model FROM chat_model_configs WHERE is_default AND NOT deleted"
        )
        assert [r["model"] for r in live] == ["gpt-3"]

        with pytest.raises(asyncpg.CheckViolationError):  # deleted without deleted_at
            await conn.execute("UPDATE chat_model_configs SET deleted = TRUE WHERE model = 'gpt-3'")
        for column, value in [("context_limit", 0), ("compression_threshold", 101)]:
            with pytest.raises(asyncpg.CheckViolationError):
                await conn.execute(f"UPDATE chat_model_configs SET {column} = {value}")
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute(
                "INSERT INTO chat_providers (provider, display_name) VALUES ('', 'x')"
            )


async def test_chat_and_message_check_constraints(empty_db: str) -> None:
    migrate.apply(empty_db, SCHEMA)
    async with connect(empty_db) as conn:
        chat = await insert_chat(conn)
        row = await conn.fetchrow(
            "SELECT title, status, message_count FROM chats WHERE id = $1", chat
        )
        assert row is not None
        assert tuple(row) == ("New Chat", "active", 0)
        await conn.execute("UPDATE chats SET status = 'archived' WHERE id = $1", chat)
        for bad in [
            "UPDATE chats SET status = 'deleted'",
            "UPDATE chats SET message_count = -1",
        ]:
            with pytest.raises(asyncpg.CheckViolationError):
                await conn.execute(bad)

        insert = (
            "INSERT INTO chat_messages (account_id, chat_id, client_message_id, role, content,"
            " action) SELECT account_id, $1, $2, $3, $4, $5 FROM chats WHERE id = $1"
        )
        await conn.execute(insert, chat, uuid.uuid4(), "assistant", "hi", "QUERY")
        await conn.execute(insert, chat, uuid.uuid4(), "system", "hi", None)
        for role, content, action in [
            ("robot", "hi", None),
            ("user", "hi", "DELETE"),
            ("user", "", None),
        ]:
            with pytest.raises(asyncpg.CheckViolationError):
                await conn.execute(insert, chat, uuid.uuid4(), role, content, action)

        # A retried send with the same client_message_id is a no-op, not a duplicate.
        client_id = uuid.uuid4()
        await conn.execute(insert, chat, client_id, "user", "once", None)
        with pytest.raises(asyncpg.UniqueViolationError):
            await conn.execute(insert, chat, client_id, "user", "once", None)
        retried = await conn.execute(
            insert + " ON CONFLICT DO NOTHING", chat, client_id, "user", "once", None
        )
        assert retried == "INSERT 0 0"


SEED = ROOT / "tests" / "fixtures" / "chatmodelconfigs.seed.sql"
SHARED_SEED = ROOT.parent / "shared" / "seed" / "chatmodelconfigs.sql"


def test_seed_query_file_is_kept_as_is_and_only_extended() -> None:
    """queries/chatmodelconfigs.sql is the seed file byte for byte, with queries appended."""
    seed = SEED.read_text()
    assert (ROOT / "queries" / "chatmodelconfigs.sql").read_text().startswith(seed)
    if SHARED_SEED.exists():  # the vendored copy is the one in shared/seed
        assert SHARED_SEED.read_text() == seed


async def test_chat_model_config_queries_compile_against_schema(empty_db: str) -> None:
    """Every seed query, as the generator rewrites it, PREPAREs against the migrated schema."""
    from codegen.parse import parse_file

    queries = parse_file("chatmodelconfigs.sql", SEED.read_text())
    assert len(queries) == 10
    migrate.apply(empty_db, SCHEMA)
    columns = [name for name, _ in CHAT_MODEL_CONFIG_COLUMNS]
    async with connect(empty_db) as conn:
        for q in queries:
            stmt = await conn.prepare(q.sql)
            if q.command in ("one", "many"):
                assert [a.name for a in stmt.get_attributes()] == columns, q.name


# --------------------------------------------------------------------------- failures


async def test_failing_migration_leaves_db_at_previous_revision(
    empty_db: str, tmp_path: Path
) -> None:
    schema = tmp_path / "schema"
    shutil.copytree(SCHEMA, schema)
    bad = fixture_migration(
        schema,
        "bad",
        "CREATE TABLE first_statement_effect (id integer);\n"
        "INSERT INTO no_such_table VALUES (1);\n",
        "DROP TABLE first_statement_effect;\n",
    )

    result = run_cli("apply", "--schema-dir", str(schema), dsn=empty_db)
    assert_one_line_error(result, bad, "no_such_table", MIGRATIONS[-1])
    assert result.stdout.splitlines() == [f"applied {m}" for m in MIGRATIONS]
    assert await applied_ids(empty_db) == MIGRATIONS
    assert await app_tables(empty_db) == APP_TABLES  # no first_statement_effect
    async with connect(empty_db) as conn:
        assert await conn.fetchval("SELECT count(*) FROM yoyo_lock") == 0  # lock released

    with pytest.raises(migrate.MigrationError, match=bad):
        migrate.apply(empty_db, schema)
    statuses = {s.id: s.applied for s in migrate.status(empty_db, schema)}
    assert statuses == {**dict.fromkeys(MIGRATIONS, True), bad: False}


def _unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def test_cli_reports_bad_input_as_one_line(empty_db: str) -> None:
    down = f"postgresql://postgres:hunter2@127.0.0.1:{_unused_port()}/postgres"
    result = run_cli("apply", dsn=down)
    assert_one_line_error(result, "cannot connect")
    assert "hunter2" not in result.stderr

    assert_one_line_error(run_cli("list", dsn="mysql://localhost/db"), "invalid DSN")
    assert_one_line_error(run_cli("apply", dsn="postgresql://u@h:port/db"), "invalid DSN")
    missing_db = empty_db.rpartition("/")[0] + "/no_such_database_here"
    assert_one_line_error(run_cli("apply", dsn=missing_db), "does not exist")
    assert_one_line_error(run_cli("apply", "--revision", "9999", dsn=empty_db), "9999")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    assert_one_line_error(run_cli("list", dsn=None, env=env), "DATABASE_URL")
    nowhere = run_cli("apply", "--schema-dir", "/nonexistent/schema", dsn=empty_db)
    assert_one_line_error(nowhere, "schema directory not found")


# --------------------------------------------------------------------------- concurrency


async def test_concurrent_applies_apply_each_migration_once(empty_db: str, tmp_path: Path) -> None:
    # The real migrations plus a slow last one, so the first run holds yoyo's lock long
    # enough that the second one certainly has to wait for it.
    schema = tmp_path / "schema"
    shutil.copytree(SCHEMA, schema)
    slow = fixture_migration(schema, "slow", "DO $$ BEGIN PERFORM pg_sleep(1); END $$;\n")
    expected = [*MIGRATIONS, slow]
    cmd = [sys.executable, "-m", "codegen", "migrate", "--dsn", empty_db]
    cmd += ["--schema-dir", str(schema), "apply"]
    procs = [
        subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    stdouts = sorted(out for out, _ in outputs)
    assert stdouts[0] == "".join(f"applied {m}\n" for m in expected)
    assert stdouts[1] == "nothing to apply: database is up to date\n"

    assert await applied_ids(empty_db) == expected
    async with connect(empty_db) as conn:
        log = await conn.fetch(
            "SELECT migration_id, count(*) AS n FROM _yoyo_log "
            "WHERE operation = 'apply' GROUP BY migration_id ORDER BY migration_id"
        )
    assert [(r["migration_id"], r["n"]) for r in log] == [(m, 1) for m in expected]
    assert await app_tables(empty_db) == APP_TABLES


async def test_a_live_lock_times_out_clearly_and_a_killed_run_s_lock_is_taken_over(
    empty_db: str,
) -> None:
    migrate.apply(empty_db, SCHEMA, revision="0001")
    async with connect(empty_db) as holder:  # a run in progress: its session holds the lock
        await holder.execute("SELECT pg_advisory_lock($1)", migrate_backend.RUN_LOCK)
        await holder.execute("INSERT INTO yoyo_lock (locked, ctime, pid) VALUES (1, now(), 424242)")
        result = run_cli("apply", "--lock-timeout", "0.5", dsn=empty_db)
        assert_one_line_error(result, "migration lock", "424242", "break-lock")
        assert await applied_ids(empty_db) == MIGRATIONS[:1]
    # The holder's session ended without removing its row, as when its run is killed with
    # kill -9: the next run removes the row and says so.
    result = run_cli("apply", "--lock-timeout", "5", dsn=empty_db)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "removed the migration lock of process 424242: its run was killed"
    assert lines[1:] == [f"applied {m}" for m in MIGRATIONS[1:]]


# --------------------------------------------------------------------------- configuration


def test_dsn_conversion() -> None:
    assert (
        migrate.to_yoyo_dsn("postgresql://postgres@127.0.0.1:5432/db")
        == "postgresql+psycopg://postgres@127.0.0.1:5432/db"
    )
    assert migrate.to_yoyo_dsn("postgres://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert migrate.to_yoyo_dsn("postgresql+psycopg://h/db") == "postgresql+psycopg://h/db"
    with pytest.raises(migrate.MigrationError):
        migrate.to_yoyo_dsn("sqlite:///x.db")
    assert dbutil.redact_dsn("postgresql://u:secret@h:1/db") == "postgresql://u:***@h:1/db"


def test_schema_dir_from_pyproject(tmp_path: Path) -> None:
    assert migrate_cli.default_schema_dir(tmp_path) == tmp_path / "schema"
    (tmp_path / "pyproject.toml").write_text('[tool.codegen]\nschema = "db/migrations"\n')
    assert migrate_cli.default_schema_dir(tmp_path) == tmp_path / "db/migrations"
    assert migrate_cli.default_schema_dir(ROOT) == SCHEMA
