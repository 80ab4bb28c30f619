"""Schema changes without surprises: lock-safe migrations beside a busy service,
checksums of applied migrations, the drift check and offline SQL.

Expected migrations come from schema/ (`migration_ids`); fixtures add migrations named
`zz_test_*`, which can never collide with a real one.
"""

from __future__ import annotations

import asyncio
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import asyncpg
import pytest

from codegen import drift, migrate
from codegen.migrate import source
from tests.conftest import ROOT, fixture_migration, migration_ids, run_codegen
from tests.reliability_fixtures import open_service
from tests.world import seed_world

SCHEMA = ROOT / "schema"
MIGRATIONS = migration_ids()
FK_MIGRATION = "0006_chat_messages_chat_fk"
BEFORE_FK = MIGRATIONS[MIGRATIONS.index(FK_MIGRATION) - 1]
IDS_PER_ACCOUNT = "0014_ids_per_account"


def cli(*args: str, dsn: str | None = None, cwd: Path = ROOT) -> tuple[int, str, str]:
    run = run_codegen("migrate", *(["--dsn", dsn] if dsn else []), *args, cwd=cwd)
    assert "Traceback" not in run.stderr
    return run.returncode, run.stdout, run.stderr


# --------------------------------------------------------------------------- 0006, busy service


async def _deadlocks(conn: asyncpg.Connection[asyncpg.Record]) -> int:
    """Deadlocks PostgreSQL detected in this database (cumulative statistics)."""
    await conn.execute("SELECT pg_stat_clear_snapshot()")
    n: int = await conn.fetchval(
        "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
    )
    return n


async def busy_service_during(
    dsn: str, change: Callable[[], None], senders: int = 8, seconds_before: float = 0.3
) -> tuple[list[uuid.UUID], list[BaseException]]:
    """Run `change` (in a thread) while `senders` tasks call send_message at full rate.

    Returns the client_message_ids the service acknowledged and the errors it raised."""
    acked: list[uuid.UUID] = []
    errors: list[BaseException] = []
    stop = asyncio.Event()
    async with open_service(dsn, min_size=senders, max_size=senders) as svc:
        world = await seed_world(svc, providers=("alpha",), configs_per_provider=1)

        async def sender(i: int) -> None:
            chat = uuid.uuid4()
            n = 0
            while not stop.is_set():
                if n % 4 == 0:  # a new chat now and then: INSERT into chats, then messages
                    chat = uuid.uuid4()
                mid = uuid.uuid4()
                try:
                    await svc.send_message(
                        **world.who, chat_id=chat, client_message_id=mid, content=f"{i}/{n}"
                    )
                except Exception as exc:
                    errors.append(exc)
                else:
                    acked.append(mid)
                n += 1

        tasks = [asyncio.create_task(sender(i)) for i in range(senders)]
        try:
            await asyncio.sleep(seconds_before)
            await asyncio.to_thread(change)
            await asyncio.sleep(seconds_before)
        finally:
            stop.set()
            await asyncio.gather(*tasks)
    return acked, errors


def fk_migration_last(tmp_path: Path) -> Path:
    """schema/ with 0006 moved to the end of the chain (what follows it re-chained onto
    its predecessor), so the current service, which needs the later migrations, can run
    while 0006 alone is applied and rolled back. 0006's own SQL is unchanged."""
    schema = tmp_path / "schema"
    shutil.copytree(SCHEMA, schema)
    after = MIGRATIONS[MIGRATIONS.index(FK_MIGRATION) + 1 :]
    # 0014 keys chats by (account_id, id): 0006's foreign key needs chats (id) unique, so
    # the chain ends before it (the service runs without it: its lookups take the account)
    if IDS_PER_ACCOUNT in after:
        after = after[: after.index(IDS_PER_ACCOUNT)]
        for path in schema.glob(f"{IDS_PER_ACCOUNT}*.sql"):
            path.unlink()
    if after:
        first = schema / f"{after[0]}.sql"
        first.write_text(
            first.read_text().replace(f"-- depends: {FK_MIGRATION}", f"-- depends: {BEFORE_FK}")
        )
        fk = schema / f"{FK_MIGRATION}.sql"
        fk.write_text(
            fk.read_text().replace(f"-- depends: {BEFORE_FK}", f"-- depends: {after[-1]}")
        )
    return schema


async def test_0006_applies_and_rolls_back_beside_a_busy_service(
    empty_db: str, tmp_path: Path
) -> None:
    """8 tasks send messages at full rate while 0006 is applied, rolled back and applied
    again: no deadlock (PostgreSQL's own counter), no service error, nothing lost.
    The previous 0006 (locks chat_messages, then chats) deadlocked here every time."""
    schema = fk_migration_last(tmp_path)
    migrate.apply(empty_db, schema)
    migrate.rollback(empty_db, schema, FK_MIGRATION)
    assert FK_MIGRATION not in {s.id for s in migrate.status(empty_db, schema) if s.applied}
    reports: list[str] = []
    applied: list[list[str]] = []

    def cycle() -> None:
        kw = {"lock_timeout": 30.0, "report": reports.append}
        applied.append(migrate.apply(empty_db, schema, FK_MIGRATION, **kw))  # type: ignore[arg-type]
        applied.append(migrate.rollback(empty_db, schema, FK_MIGRATION, **kw))  # type: ignore[arg-type]
        applied.append(migrate.apply(empty_db, schema, FK_MIGRATION, **kw))  # type: ignore[arg-type]

    conn = await asyncpg.connect(empty_db)
    try:
        before = await _deadlocks(conn)
        acked, errors = await busy_service_during(empty_db, cycle)
        await asyncio.sleep(1.0)  # statistics are flushed by backends at most once a second
        deadlocks = await _deadlocks(conn) - before
        stored = await conn.fetchval(
            "SELECT count(*) FROM chat_messages WHERE client_message_id = ANY($1::uuid[])", acked
        )
        valid = await conn.fetchval(
            "SELECT convalidated FROM pg_constraint WHERE conname = 'chat_messages_chat_id_fkey'"
        )
    finally:
        await conn.close()
    assert applied == [[FK_MIGRATION]] * 3
    assert errors == []
    assert deadlocks == 0, reports
    assert not [r for r in reports if "deadlock" in r], reports
    assert len(acked) > 100 and stored == len(acked)
    assert valid is True


# --------------------------------------------------------------------------- checksums


def copy_schema(tmp_path: Path) -> Path:
    schema = tmp_path / "schema"
    shutil.copytree(SCHEMA, schema)
    return schema


async def test_an_edited_applied_migration_is_refused_by_apply_list_sql_and_drift(
    empty_db: str, tmp_path: Path
) -> None:
    schema = copy_schema(tmp_path)
    migrate.apply(empty_db, schema)
    chats = schema / "0004_chats.sql"
    chats.write_text(chats.read_text() + "ALTER TABLE chats ADD COLUMN pinned boolean;\n")
    pending = fixture_migration(schema, "after_edit", "CREATE TABLE after_edit (id int);\n")

    for command in (["apply"], ["list"], ["sql"], ["sql", "rollback"]):
        code, out, err = cli(*command, "--schema-dir", str(schema), dsn=empty_db)
        assert code == 1, (command, out, err)
        assert err.splitlines()[-1].startswith("error: applied migration changed since")
        assert str(chats) in err and "codegen migrate accept 0004_chats" in err
    _, listed, _ = cli("list", "--schema-dir", str(schema), dsn=empty_db)
    assert "0004_chats  (EDITED since it was applied)" in listed
    with pytest.raises(migrate.MigrationError, match=r"0004_chats\.sql"):
        await drift.drift(empty_db, schema)
    # Nothing was applied meanwhile, not even the new, unrelated migration.
    assert {s.id: s.applied for s in migrate.status(empty_db, schema)}[pending] is False

    # A deliberate edit is accepted explicitly, and the acceptance is logged.
    code, out, err = cli("accept", "0004", "--schema-dir", str(schema), dsn=empty_db)
    assert code == 0, err
    assert out.startswith("accepted the edit of 0004_chats (previous checksum ")
    assert migrate.apply(empty_db, schema) == [pending]
    conn = await asyncpg.connect(empty_db)
    try:
        logged = await conn.fetchval(
            "SELECT comment FROM _yoyo_log WHERE operation = 'accept' AND migration_id = $1",
            "0004_chats",
        )
    finally:
        await conn.close()
    assert logged.startswith("checksum ") and logged.endswith(
        source.checksum(next(m for m in migrate.load_migrations(schema) if m.id == "0004_chats"))
    )


async def test_checksums_are_recorded_on_apply_and_backfilled_for_older_databases(
    empty_db: str,
) -> None:
    migrate.apply(empty_db, SCHEMA, revision=MIGRATIONS[1])
    conn = await asyncpg.connect(empty_db)
    try:
        rows = await conn.fetch("SELECT migration_id, sha256 FROM _yoyo_codegen_checksum")
        assert {r["migration_id"] for r in rows} == set(MIGRATIONS[:2])
        await conn.execute("DELETE FROM _yoyo_codegen_checksum")  # as before checksums existed
        reports: list[str] = []
        migrate.apply(empty_db, SCHEMA, report=reports.append)
        assert reports[:2] == [
            f"recorded the checksum of {m} (applied before checksums were kept)"
            for m in MIGRATIONS[:2]
        ]
        rows = await conn.fetch("SELECT migration_id, sha256 FROM _yoyo_codegen_checksum")
        recorded = {r["migration_id"]: r["sha256"] for r in rows}
        migrate.rollback(empty_db, SCHEMA)
        after = {r[0] for r in await conn.fetch("SELECT migration_id FROM _yoyo_codegen_checksum")}
    finally:
        await conn.close()
    assert recorded == {m.id: source.checksum(m) for m in migrate.load_migrations(SCHEMA)}
    assert after == set(MIGRATIONS[:-1])


# --------------------------------------------------------------------------- drift


async def test_drift_reports_every_kind_of_hand_made_change(migrated_db: str) -> None:
    code, out, err = cli_codegen("drift", "--dsn", migrated_db)
    assert (code, out.splitlines()) == (0, ["drift: none, the database matches the migrations"])

    conn = await asyncpg.connect(migrated_db)
    try:
        await conn.execute(
            """
            CREATE INDEX chats_title_idx ON chats (title);
            ALTER TABLE chats ALTER COLUMN title TYPE text;
            ALTER TABLE chat_providers ALTER COLUMN display_name DROP NOT NULL;
            ALTER TABLE agents ADD COLUMN note text DEFAULT 'x';
            ALTER TABLE users ALTER COLUMN email SET DEFAULT 'nobody@example.com';
            CREATE TYPE mood AS ENUM ('calm');
            ALTER TABLE chat_messages DROP CONSTRAINT chat_messages_account_id_chat_id_fkey;
            ALTER TABLE chat_messages ADD CONSTRAINT chat_messages_account_id_chat_id_fkey
                FOREIGN KEY (account_id, chat_id) REFERENCES chats (account_id, id)
                ON DELETE CASCADE NOT VALID;
            """
        )
    finally:
        await conn.close()
    code, out, err = cli_codegen("drift", "--dsn", migrated_db)
    assert code == 1, err
    lines = out.splitlines()
    expected = [
        "column agents.note: not in the migrations (database: text NULL DEFAULT 'x'::text ",
        "column chat_providers.display_name: migrations say text NOT NULL ",
        "column chats.title: migrations say character varying(255) NOT NULL",
        "column users.email: migrations say text NOT NULL (position 3); the database has "
        "text NOT NULL DEFAULT 'nobody@example.com'::text (position 3)",
        "constraint chat_messages.chat_messages_account_id_chat_id_fkey: migrations say FOREIGN "
        "KEY",
        "index chats.chats_title_idx: not in the migrations (database: CREATE INDEX",
        "enum mood: not in the migrations (database: 'calm')",
    ]
    for start in expected:
        assert any(line.startswith(start) for line in lines), (start, lines)
    assert lines[-1] == f"drift: the database differs from schema/ ({len(lines) - 1} line(s))"
    assert len(lines) - 1 == len(expected)


async def test_drift_names_pending_migrations_and_ignores_bookkeeping(empty_db: str) -> None:
    migrate.apply(empty_db, SCHEMA, revision=MIGRATIONS[-2])
    lines = await drift.drift(empty_db, SCHEMA)
    assert lines == [f"migration {MIGRATIONS[-1]}: pending (not applied)"]


def cli_codegen(*args: str) -> tuple[int, str, str]:
    run = run_codegen(*args, cwd=ROOT)
    assert "Traceback" not in run.stderr
    return run.returncode, run.stdout, run.stderr


# --------------------------------------------------------------------------- offline SQL


def test_offline_sql_needs_no_database(tmp_path: Path) -> None:
    schema = copy_schema(tmp_path)
    added = fixture_migration(schema, "offline", "CREATE TABLE offline_t (id int);\n")
    env_free = ("--dsn", "postgresql://nobody@127.0.0.1:1/none")  # would fail if used
    code, out, err = cli("sql", "--from", MIGRATIONS[-1], "--schema-dir", str(schema), *env_free)
    assert code == 0, err
    assert out.splitlines()[0] == f"-- apply: from {MIGRATIONS[-1]} (offline, no database read)"
    assert f"-- apply {added}" in out and "CREATE TABLE offline_t (id int);" in out
    assert "-- apply 0001" not in out

    code, everything, err = cli("sql", "--from-empty", "--schema-dir", str(schema))
    assert code == 0, err
    headers = [
        line[len("-- apply ") :]
        for line in everything.splitlines()[1:]
        if line.startswith("-- apply ")
    ]
    assert headers == [*MIGRATIONS, added]
    code, _, err = cli("sql", "--from", "9999", "--schema-dir", str(schema))
    assert code == 1 and "unknown revision '9999'" in err


# --------------------------------------------------------------------------- timeouts


async def test_every_migration_runs_with_lock_and_statement_timeouts_and_retries(
    empty_db: str, tmp_path: Path
) -> None:
    schema = copy_schema(tmp_path)
    probe = fixture_migration(
        schema,
        "probe",
        "CREATE TABLE probe AS SELECT current_setting('lock_timeout') AS lock_timeout,"
        " current_setting('statement_timeout') AS statement_timeout;\n"
        "ALTER TABLE accounts ADD COLUMN probe int;\n",
        "DROP TABLE probe;\nALTER TABLE accounts DROP COLUMN probe;\n",
    )
    migrate.apply(empty_db, schema, revision=MIGRATIONS[-1])
    blocker = await asyncpg.connect(empty_db)
    # Without the session's lock_timeout, apply would wait for this reader forever; the
    # server ends the reader's idle transaction after 10 s instead, so the test fails fast.
    await blocker.execute("SET idle_in_transaction_session_timeout = '10s'")
    try:
        tx = blocker.transaction()
        await tx.start()
        await blocker.execute("LOCK TABLE accounts IN ACCESS SHARE MODE")  # a long reader
        session = migrate.Session(lock_timeout="200ms", retries=2, backoff=0.05)
        reports: list[str] = []
        started = time.monotonic()
        with pytest.raises(migrate.MigrationError) as failed:
            await asyncio.to_thread(
                migrate.apply, empty_db, schema, session=session, report=reports.append
            )
        elapsed = time.monotonic() - started
        assert "failed after 3 attempts" in str(failed.value)
        assert "canceling statement due to lock timeout" in str(failed.value)
        assert [r.split(";")[1].strip() for r in reports] == ["retry 1 in 0.05s", "retry 2 in 0.1s"]
        assert elapsed < 5
        await tx.rollback()
        assert await asyncio.to_thread(migrate.apply, empty_db, schema, session=session) == [probe]
        row = await blocker.fetchrow("SELECT * FROM probe")
    finally:
        await blocker.close()
    assert row is not None and tuple(row) == ("200ms", "5min")


async def test_session_settings_come_from_pyproject_and_flags(
    empty_db: str, tmp_path: Path
) -> None:
    schema = copy_schema(tmp_path)
    fixture_migration(
        schema,
        "settings",
        "CREATE TABLE settings AS SELECT current_setting('lock_timeout') AS lock_timeout,"
        " current_setting('statement_timeout') AS statement_timeout;\n",
    )
    (tmp_path / "pyproject.toml").write_text(
        '[tool.codegen]\nschema = "schema"\n\n'
        '[tool.codegen.migrate]\nlock_timeout = "2s"\nstatement_timeout = "1min"\n'
        "lock_retries = 1\n"
    )
    code, _, err = cli("apply", "--statement-timeout", "7s", dsn=empty_db, cwd=tmp_path)
    assert code == 0, err
    conn = await asyncpg.connect(empty_db)
    try:
        row = await conn.fetchrow("SELECT * FROM settings")
    finally:
        await conn.close()
    assert row is not None and tuple(row) == ("2s", "7s")

    (tmp_path / "pyproject.toml").write_text(
        '[tool.codegen]\nschema = "schema"\n[tool.codegen.migrate]\nlock_retries = -1\n'
    )
    code, _, err = cli("apply", dsn=empty_db, cwd=tmp_path)
    assert code == 1 and "[tool.codegen.migrate] lock_retries" in err
