"""Non-transactional migrations: any prefix of one can be resumed or reversed.

The rule (`codegen.migrate.stepwise`): progress per statement, resumed from there; nothing
undone behind the user's back; every statement of both files re-entrant (`codegen vet`);
an invalid index left by an interrupted build rebuilt, never skipped; rollback files that
refuse rather than destroy what they cannot restore; both files checksummed. The kill at
every statement boundary is `tests/test_migrate_kill.py`.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import tomllib
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pglast
import pytest
from yoyo.migrations import read_sql_migration  # type: ignore[import-untyped]

from codegen import dbutil, drift, migrate
from codegen.migrate import source
from codegen.migrate.statements import describe
from tests.conftest import ROOT, migration_ids
from tests.test_migrate import assert_one_line_error, run_cli
from tests.test_security import APP, ROLES_DIR
from tests.test_verify import make_project, vet

SCHEMA = ROOT / "schema"
IDS = migration_ids()
# The migration that creates the tombstones (chats.deleted_at, chat_provider_tombstones).
TOMBSTONES = next(m for m in IDS if "chat_provider_tombstones" in (SCHEMA / f"{m}.sql").read_text())
BEFORE = IDS[IDS.index(TOMBSTONES) - 1]
SLOW = migrate.Session(lock_timeout="60s")


async def _conn(dsn: str) -> asyncpg.Connection[Any]:
    return await asyncpg.connect(dsn)


async def grant_roles(dsn: str) -> None:
    """schema_roles/ applied as the suite's superuser: the roles, then the grants (the
    source of truth for what the app role holds)."""
    conn = await _conn(dsn)
    try:
        await conn.execute((ROLES_DIR / "01_roles.sql").read_text())
        await conn.execute((ROLES_DIR / "02_grants.sql").read_text())
    finally:
        await conn.close()


async def app_privileges(conn: asyncpg.Connection[Any]) -> dict[str, set[str]]:
    rows = await conn.fetch(
        "SELECT c.relname, a.privilege_type FROM pg_class c CROSS JOIN LATERAL aclexplode("
        "c.relacl) a WHERE c.relnamespace = 'public'::regnamespace AND a.grantee = $1::regrole",
        APP,
    )
    held: dict[str, set[str]] = {}
    for r in rows:
        held.setdefault(r["relname"], set()).add(r["privilege_type"])
    return held


async def tombstone_world(dsn: str) -> dict[str, Any]:
    """An account with a live chat, a deleted chat (tombstone) and a provider tombstone."""
    conn = await _conn(dsn)
    try:
        acc = await conn.fetchval("INSERT INTO accounts (name) VALUES ('a') RETURNING id")
        usr = await conn.fetchval(
            "INSERT INTO users (account_id, email) VALUES ($1, $2) RETURNING id", acc, "u@x"
        )
        agt = await conn.fetchval(
            "INSERT INTO agents (account_id, name) VALUES ($1, 'g') RETURNING id", acc
        )
        chats = [uuid.uuid4(), uuid.uuid4()]
        for chat in chats:
            await conn.execute(
                "INSERT INTO chats (id, account_id, user_id, agent_id) VALUES ($1, $2, $3, $4)",
                chat,
                acc,
                usr,
                agt,
            )
        await conn.execute(
            "UPDATE chats SET deleted_at = now(), title = '' WHERE id = $1", chats[1]
        )
        await conn.execute("INSERT INTO chat_provider_tombstones (provider) VALUES ('gone')")
        return await tombstones(conn)
    finally:
        await conn.close()


async def tombstones(conn: asyncpg.Connection[Any]) -> dict[str, Any]:
    return {
        "chats": await conn.fetch("SELECT id, deleted_at FROM chats WHERE deleted_at IS NOT NULL"),
        "providers": await conn.fetch("SELECT * FROM chat_provider_tombstones"),
        "grants": await app_privileges(conn),
    }


async def holder_of(dsn: str, sql: str) -> asyncpg.Connection[Any]:
    """A session in an open transaction that ran `sql` (a long report, a long write)."""
    conn = await _conn(dsn)
    await conn.execute("SET idle_in_transaction_session_timeout = '60s'")
    await conn.execute(f"BEGIN; {sql}")
    return conn


# --------------------------------------------------------------------------- item: 0007 killed


async def test_0007_terminated_after_attaching_its_keys_applies_when_run_again(
    empty_db: str,
) -> None:
    """The apply is stopped where it waits for a report holding chats open (the first index
    build on chats, after the users and agents keys were attached), its backend terminated;
    running apply again finishes it (it used to fail at its first statement forever)."""
    migrate.apply(empty_db, SCHEMA, BEFORE)
    holder = await holder_of(empty_db, "LOCK TABLE chats IN SHARE UPDATE EXCLUSIVE MODE")
    run = asyncio.ensure_future(asyncio.to_thread(migrate.apply, empty_db, SCHEMA, session=SLOW))
    try:
        admin = await _conn(empty_db)
        for _ in range(500):
            pid = await admin.fetchval(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND query LIKE '%CREATE INDEX CONCURRENTLY%ON chats%'"
            )
            if pid:
                break
            await asyncio.sleep(0.02)
        keys = await admin.fetchval(
            "SELECT count(*) FROM pg_constraint WHERE conname LIKE '%account_id_id_key'"
        )
        assert pid and keys == 2, "the apply did not stop after attaching both keys"
        await admin.execute("SELECT pg_terminate_backend($1)", pid)
        with pytest.raises(migrate.MigrationError) as stopped:
            await asyncio.wait_for(run, 30)
        await admin.close()
    finally:
        await holder.close()
    said: list[str] = []
    assert migrate.apply(empty_db, SCHEMA, report=said.append) == IDS[IDS.index(TOMBSTONES) :]
    assert await drift.drift(empty_db, SCHEMA) == []
    assert said[0] == f"apply of {TOMBSTONES}: resuming after statement 4 of 14"
    message = str(stopped.value)
    assert f"apply of {TOMBSTONES} stopped at statement 5 of " in message
    assert f"between {BEFORE} and {TOMBSTONES}: statements 1-4 of" in message
    assert "database is at" not in message  # it is not at BEFORE: the keys are there


async def test_a_database_the_old_runner_left_stuck_in_0007_is_applied(empty_db: str) -> None:
    """The old text killed after its 6th statement left both keys attached and nothing
    recorded (its re-runs failed at statement 1): the re-entrant text applies over it."""
    migrate.apply(empty_db, SCHEMA, BEFORE)
    old = ROOT / "tests" / "fixtures" / "superseded" / f"{TOMBSTONES}.sql"
    conn = await _conn(empty_db)
    try:
        for sql in read_sql_migration(str(old))[2][:6]:
            await conn.execute(sql)
        stuck = await conn.fetchval(
            "SELECT count(*) FROM pg_constraint WHERE conname LIKE '%account_id_id_key'"
        )
    finally:
        await conn.close()
    assert stuck == 2
    assert migrate.apply(empty_db, SCHEMA) == IDS[IDS.index(TOMBSTONES) :]
    assert await drift.drift(empty_db, SCHEMA) == []


# --------------------------------------------------------------------------- item: tombstones


async def test_a_rollback_of_the_tombstones_refuses_and_keeps_them_and_their_grants(
    empty_db: str,
) -> None:
    """With a long write holding users, the 0007 rollback used to drop the tombstones, hit
    its lock timeout, re-create them empty without grants and say "at 0007"."""
    migrate.apply(empty_db, SCHEMA, TOMBSTONES)
    await grant_roles(empty_db)
    before = await tombstone_world(empty_db)
    assert (
        before["chats"] and before["providers"] and "chat_provider_tombstones" in before["grants"]
    )
    holder = await holder_of(empty_db, "LOCK TABLE users IN ROW EXCLUSIVE MODE")
    session = migrate.Session(lock_timeout="100ms", retries=1, backoff=0.01)
    try:
        with pytest.raises(migrate.MigrationError) as refused:
            migrate.rollback(empty_db, SCHEMA, session=session)
    finally:
        await holder.close()
    conn = await _conn(empty_db)
    try:
        assert await tombstones(conn) == before
    finally:
        await conn.close()
    assert str(refused.value).startswith(f"rollback of {TOMBSTONES} failed at statement 1 (")
    assert "refused: 1 deleted chats and 1 provider tombstones would be lost" in str(refused.value)
    assert str(refused.value).endswith(f"nothing was changed: the database is at {TOMBSTONES}")
    assert [s.interrupted for s in migrate.status(empty_db, SCHEMA)] == [None] * len(IDS)


async def test_a_rollback_stopped_by_a_lock_timeout_says_where_it_is_and_finishes_later(
    empty_db: str,
) -> None:
    migrate.apply(empty_db, SCHEMA, TOMBSTONES)
    await grant_roles(empty_db)
    conn = await _conn(empty_db)
    grants = await app_privileges(conn)
    holder = await holder_of(empty_db, "LOCK TABLE users IN ROW EXCLUSIVE MODE")
    session = migrate.Session(lock_timeout="100ms", retries=1, backoff=0.01)
    try:
        with pytest.raises(migrate.MigrationError) as stopped:
            migrate.rollback(empty_db, SCHEMA, session=session)
    finally:
        await holder.close()
    message = str(stopped.value)
    file = f"{TOMBSTONES}.rollback.sql"
    assert "after 2 attempts: canceling statement due to lock timeout; the database is " in message
    assert f"between {TOMBSTONES} and {BEFORE}: statements 1-" in message and file in message
    statuses = migrate.status(empty_db, SCHEMA)
    assert [s.id for s in statuses if s.interrupted] == [TOMBSTONES]
    listed = run_cli("list", dsn=empty_db)
    assert listed.returncode == 0, listed.stderr
    assert f"{TOMBSTONES}  (INTERRUPTED: rollback stopped after statement " in listed.stdout
    assert migrate.rollback(empty_db, SCHEMA) == [TOMBSTONES]
    left = await app_privileges(conn)
    await conn.close()
    assert left == {t: p for t, p in grants.items() if t != "chat_provider_tombstones"}
    applied = [s.id for s in migrate.status(empty_db, SCHEMA) if s.applied]
    assert applied == IDS[: IDS.index(TOMBSTONES)]


# --------------------------------------------------------------------------- item: invalid index


async def test_a_rollback_rebuilds_an_invalid_index_that_if_not_exists_would_skip(
    empty_db: str,
) -> None:
    """A concurrent build that failed leaves an INVALID index of the name the rollback
    builds with IF NOT EXISTS: it is dropped and built again, never skipped."""
    migrate.apply(empty_db, SCHEMA, TOMBSTONES)
    statements = source.statements(
        next(m for m in migrate.load_migrations(SCHEMA) if m.id == TOMBSTONES), "rollback"
    )
    built = [s for s in statements if describe(0, s).index_build]
    name = describe(0, built[0]).index_build
    index = pglast.parse_sql(built[0])[0].stmt
    assert isinstance(index, pglast.ast.IndexStmt) and index.relation is not None
    table = index.relation.relname
    conn = await _conn(empty_db)
    try:
        await tombstone_world(empty_db)
        await conn.execute("DELETE FROM chats WHERE deleted_at IS NOT NULL")
        await conn.execute("DELETE FROM chat_provider_tombstones")
        await conn.execute(
            "INSERT INTO chats (account_id, user_id, agent_id) SELECT account_id, user_id, agent_id"
            " FROM chats"
        )  # two chats with the same agent: a unique build of that name fails half way
        with pytest.raises(asyncpg.UniqueViolationError):
            await conn.execute(f"CREATE UNIQUE INDEX CONCURRENTLY {name} ON {table} (agent_id)")
        said: list[str] = []
        assert migrate.rollback(empty_db, SCHEMA, report=said.append) == [TOMBSTONES]
        invalid = await conn.fetch("SELECT indexrelid::regclass FROM pg_index WHERE NOT indisvalid")
        unique = await conn.fetchval(
            "SELECT indisunique FROM pg_index WHERE indexrelid = $1::regclass", name
        )
    finally:
        await conn.close()
    assert invalid == [] and unique is False
    assert f"dropping the invalid index {name} an interrupted build left" in " ".join(said)


async def test_a_rollback_beside_a_long_repeatable_read_report_never_ends_with_an_invalid_index(
    empty_db: str,
) -> None:
    """The report's snapshot makes each concurrent build wait and time out, leaving an
    INVALID index: the rollback stops saying so (it used to retry, skip the invalid index
    with IF NOT EXISTS and exit 0); after the report, rollback finishes with valid indexes."""
    migrate.apply(empty_db, SCHEMA, TOMBSTONES)
    report = await _conn(empty_db)
    await report.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
    await report.fetchval("SELECT count(*) FROM accounts")  # the snapshot, no lock on chats
    session = migrate.Session(lock_timeout="300ms", retries=1, backoff=0.01)
    try:
        with pytest.raises(migrate.MigrationError) as stopped:
            await asyncio.to_thread(migrate.rollback, empty_db, SCHEMA, session=session)
    finally:
        await report.close()
    assert "canceling statement due to lock timeout" in str(stopped.value)
    assert f"the database is between {TOMBSTONES} and {BEFORE}" in str(stopped.value)
    assert migrate.rollback(empty_db, SCHEMA) == [TOMBSTONES]
    conn = await _conn(empty_db)
    try:
        invalid = await conn.fetch("SELECT indexrelid::regclass FROM pg_index WHERE NOT indisvalid")
    finally:
        await conn.close()
    assert invalid == []
    assert await drift.drift(empty_db, SCHEMA) == [
        f"migration {m}: pending (not applied)" for m in IDS[IDS.index(TOMBSTONES) :]
    ]


def test_every_index_build_of_a_non_transactional_migration_is_re_entrant() -> None:
    """Derived from schema/: each concurrent build says IF NOT EXISTS (the runner rebuilds an
    invalid one), each drop IF EXISTS."""
    for m in migrate.load_migrations(SCHEMA):
        if m.use_transactions:
            continue
        for direction in ("apply", "rollback"):
            for sql in source.statements(m, direction):
                if "CONCURRENTLY" in sql.split("(")[0]:
                    assert " IF NOT EXISTS " in sql or " IF EXISTS " in sql, (m.id, sql)


# --------------------------------------------------------------------------- item: checksums


async def test_an_edited_rollback_file_is_refused_by_apply_list_and_rollback(
    empty_db: str, tmp_path: Path
) -> None:
    schema = tmp_path / "schema"
    shutil.copytree(SCHEMA, schema)
    migrate.apply(empty_db, schema)
    last = schema / f"{IDS[-1]}.rollback.sql"
    last.write_text(last.read_text() + "\nDROP TABLE chats CASCADE;\n")
    for command in (["apply"], ["list"], ["rollback"]):
        result = run_cli(*command, "--schema-dir", str(schema), dsn=empty_db)
        assert_one_line_error(result, "applied migration changed since", str(last))
    assert [s.applied for s in migrate.status(empty_db, schema)] == [True] * len(IDS)
    assert [s.edited for s in migrate.status(empty_db, schema)][-1] is True


async def test_an_interrupted_run_is_not_reversed_with_edited_files(
    empty_db: str, tmp_path: Path
) -> None:
    schema = tmp_path / "schema"
    schema.mkdir()
    (schema / "0001_a.sql").write_text(
        "-- transactional: false\nCREATE TABLE IF NOT EXISTS a (id int);\nSELECT 1/0;\n"
    )
    (schema / "0001_a.rollback.sql").write_text("DROP TABLE IF EXISTS a;\n")
    with pytest.raises(migrate.MigrationError, match="stopped at statement 2 of 2"):
        migrate.apply(empty_db, schema)
    (schema / "0001_a.rollback.sql").write_text("DROP TABLE IF EXISTS a;\nSELECT 2;\n")
    with pytest.raises(migrate.MigrationError) as refused:
        migrate.rollback(empty_db, schema)
    assert str(refused.value) == (
        "0001_a was interrupted (apply stopped after statement 1 of 2) and its files changed "
        "since: restore 0001_a.sql and 0001_a.rollback.sql to finish or reverse that run"
    )


async def test_databases_that_applied_a_superseded_text_take_its_successor(
    empty_db: str, admin_dsn: str, tmp_path: Path
) -> None:
    """The old texts (kept in tests/fixtures/superseded) leave exactly the schema their
    successors leave; a database that applied them is upgraded by `apply`, logged."""
    entries = tomllib.loads((SCHEMA / "superseded.toml").read_text())["superseded"]
    old = tmp_path / "schema"
    shutil.copytree(SCHEMA, old)
    for e in entries:
        kept = ROOT / "tests" / "fixtures" / "superseded" / f"{e['migration']}.sql"
        assert hashlib.sha256(kept.read_bytes()).hexdigest() == e["old"]
        shutil.copy(kept, old / kept.name)
    assert migrate.apply(empty_db, old) == IDS
    then = await drift.snapshot_of(empty_db)
    said: list[str] = []
    assert migrate.apply(empty_db, SCHEMA, report=said.append) == []
    assert said == [
        f"recorded the rewritten text of {e['migration']} ({e['reason']})" for e in entries
    ]
    assert await drift.drift(empty_db, SCHEMA) == []
    conn = await _conn(empty_db)
    try:
        logged = await conn.fetchval("SELECT count(*) FROM _yoyo_log WHERE operation = 'accept'")
    finally:
        await conn.close()
    assert logged == len(entries)
    async with dbutil.scratch_database(admin_dsn, prefix="t_") as fresh:
        migrate.apply(fresh, SCHEMA)
        assert await drift.snapshot_of(fresh) == then


# --------------------------------------------------------------------------- vet


def test_vet_reports_statements_of_non_transactional_migrations_that_cannot_run_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fk_ok = 'vet_ignore = ["fk-index:books.editor_id"]\n'
    config = make_project(tmp_path, queries="-- name: N :one\nSELECT 1 AS n;\n", extra=fk_ok)
    added = tmp_path / "schema" / "0002_idx.sql"
    added.write_text(
        "-- transactional: false\n-- depends: 0001_init\n"
        "CREATE INDEX CONCURRENTLY books_title_idx ON books (title);\n"
    )
    added.with_name("0002_idx.rollback.sql").write_text(
        "DROP INDEX CONCURRENTLY books_title_idx;\n"
    )
    code, out = vet(config, capsys)
    assert code == 1
    assert [line for line in out if "[not-reentrant]" in line] == [
        "schema/0002_idx.rollback.sql:1:1: error: statement 1 cannot safely run again: DROP "
        "without IF EXISTS [not-reentrant] (write it re-entrant, or silence: vet_ignore = "
        '["not-reentrant:0002_idx.rollback.sql"])',
        "schema/0002_idx.sql:3:1: error: statement 1 cannot safely run again: CREATE INDEX "
        "without IF NOT EXISTS [not-reentrant] (write it re-entrant, or silence: vet_ignore = "
        '["not-reentrant:0002_idx.sql"])',
    ]
    added.write_text(added.read_text().replace("CONCURRENTLY ", "CONCURRENTLY IF NOT EXISTS "))
    rollback = added.with_name("0002_idx.rollback.sql")
    rollback.write_text(rollback.read_text().replace("CONCURRENTLY ", "CONCURRENTLY IF EXISTS "))
    assert vet(config, capsys) == (0, ["vet: 0 finding(s)"])


def test_the_superseded_texts_were_not_re_entrant() -> None:
    """The lint knows what the rewrite fixed: each old text has findings, its successor none."""
    from codegen.migrate.statements import not_reentrant

    for kept in sorted((ROOT / "tests" / "fixtures" / "superseded").glob("*.sql")):
        assert [s for s in read_sql_migration(str(kept))[2] if not_reentrant(s)], kept
        new = SCHEMA / kept.name
        assert not [s for s in read_sql_migration(str(new))[2] if not_reentrant(s)], new
