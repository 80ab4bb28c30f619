"""The migration library's promises, called in-process (found by `python -m mutation migrate`).

The CLI tests run `python -m codegen migrate` in a new process, as a user does; mutation
testing sees only what runs in the test's own process, and found the dry run, `accept`,
`break-lock` and the offline SQL unguarded there. Each test states one promise on a tiny
schema of its own: two migrations, one table each.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from codegen import migrate
from codegen.migrate import source


def two_migrations(tmp_path: Path) -> Path:
    schema = tmp_path / "schema"
    schema.mkdir()
    (schema / "0001_a.sql").write_text("-- the first table\nCREATE TABLE a (id int)\n")
    (schema / "0001_a.rollback.sql").write_text("DROP TABLE a;\n")
    (schema / "0002_b.sql").write_text("-- depends: 0001_a\nCREATE TABLE b (id int);\n")
    (schema / "0002_b.rollback.sql").write_text("DROP TABLE b;\n")
    return schema


async def tables(dsn: str) -> set[str]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    finally:
        await conn.close()
    return {r["tablename"] for r in rows}


async def lock_holder(dsn: str, table: str) -> asyncpg.Connection[asyncpg.Record]:
    """A reader holding `table` in an open transaction, as a long report query would.

    It lets go after a few seconds (the server ends its idle transaction), so a migration
    that waits for the lock without its own lock_timeout gets through and the test fails
    at once instead of hanging.
    """
    holder = await asyncpg.connect(dsn)
    await holder.execute("SET idle_in_transaction_session_timeout = '5s'")
    await holder.execute(f"BEGIN; LOCK TABLE {table} IN ACCESS SHARE MODE")
    return holder


def sections(script: str) -> list[str]:
    return [line for line in script.splitlines() if line.startswith(("-- apply ", "-- rollback "))]


async def test_the_dry_run_shows_exactly_what_would_run_and_changes_nothing(
    empty_db: str, tmp_path: Path
) -> None:
    schema = two_migrations(tmp_path)
    plan = migrate.plan_sql(empty_db, schema)
    assert plan == (
        "-- apply: database is at (no migration applied)\n\n"
        "-- apply 0001_a\n-- the first table\nBEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\n\n"
        "-- apply 0002_b\nBEGIN;\nCREATE TABLE b (id int);\nCOMMIT;\n"
    )
    assert await tables(empty_db) == set()  # not even yoyo's bookkeeping
    assert sections(migrate.plan_sql(empty_db, schema, revision="0001")) == ["-- apply 0001_a"]

    assert migrate.apply(empty_db, schema, revision="0001") == ["0001_a"]
    assert sections(migrate.plan_sql(empty_db, schema)) == ["-- apply 0002_b"]
    migrate.apply(empty_db, schema)
    assert migrate.plan_sql(empty_db, schema) == (
        "-- apply: database is at 0002_b\n-- nothing to apply\n"
    )
    back = migrate.plan_sql(empty_db, schema, "rollback")
    assert sections(back) == ["-- rollback 0002_b"] and "DROP TABLE b;" in back
    every = migrate.plan_sql(empty_db, schema, "rollback", all_=True)
    assert sections(every) == ["-- rollback 0002_b", "-- rollback 0001_a"]
    down_to = migrate.plan_sql(empty_db, schema, "rollback", "0001")
    assert sections(down_to) == sections(every)
    assert await tables(empty_db) >= {"a", "b"}
    assert [s.id for s in migrate.status(empty_db, schema) if s.applied] == ["0001_a", "0002_b"]


def test_offline_sql_starts_after_the_given_revision(tmp_path: Path) -> None:
    schema = two_migrations(tmp_path)
    full = migrate.offline_sql(schema)
    assert full.startswith("-- apply: from an empty database (offline, no database read)\n")
    assert sections(full) == ["-- apply 0001_a", "-- apply 0002_b"]
    rest = migrate.offline_sql(schema, "0001_a")
    assert rest.startswith("-- apply: from 0001_a (offline, no database read)\n")
    assert sections(rest) == ["-- apply 0002_b"]
    assert migrate.offline_sql(schema, "0002").endswith("-- nothing to apply\n")


def test_a_missing_rollback_file_is_shown_not_invented(tmp_path: Path) -> None:
    schema = two_migrations(tmp_path)
    (schema / "0002_b.rollback.sql").unlink()
    m = migrate.load_migrations(schema)[1]
    assert source.migration_sql(m, "rollback") == (
        "-- rollback 0002_b\n-- (0002_b.rollback.sql does not exist: nothing would be run)"
    )


async def test_an_accepted_edit_is_recorded_and_logged_and_only_for_applied_files(
    empty_db: str, tmp_path: Path
) -> None:
    schema = two_migrations(tmp_path)
    migrate.apply(empty_db, schema, revision="0001")
    with pytest.raises(migrate.MigrationError, match="0002_b is not applied"):
        migrate.accept(empty_db, schema, "0002")
    first = schema / "0001_a.sql"
    before = source.checksum(migrate.load_migrations(schema)[0])
    first.write_text(first.read_text() + "-- a comment added later\n")
    with pytest.raises(migrate.MigrationError) as refused:
        migrate.apply(empty_db, schema)
    assert str(first) in str(refused.value)
    assert "codegen migrate accept 0001_a" in str(refused.value)
    with pytest.raises(migrate.MigrationError):
        migrate.refuse_edited(empty_db, schema)
    assert [s.edited for s in migrate.status(empty_db, schema)] == [True, False]

    after = source.checksum(migrate.load_migrations(schema)[0])
    assert migrate.accept(empty_db, schema, "0001") == ("0001_a", before)
    migrate.refuse_edited(empty_db, schema)  # accepted: no longer refused
    assert migrate.apply(empty_db, schema) == ["0002_b"]
    conn = await asyncpg.connect(empty_db)
    try:
        row = await conn.fetchrow(
            "SELECT migration_hash, username, hostname, comment FROM _yoyo_log "
            "WHERE operation = 'accept' AND migration_id = '0001_a'"
        )
        recorded = await conn.fetchval(
            "SELECT sha256 FROM _yoyo_codegen_checksum WHERE migration_id = '0001_a'"
        )
    finally:
        await conn.close()
    assert row is not None and row["comment"] == f"checksum {before} -> {after}"
    assert row["migration_hash"] == migrate.load_migrations(schema)[0].hash
    assert row["username"] and row["hostname"]
    assert recorded == after


async def test_break_lock_removes_a_lock_left_by_a_killed_run(
    empty_db: str, tmp_path: Path
) -> None:
    schema = two_migrations(tmp_path)
    migrate.apply(empty_db, schema, revision="0001")
    conn = await asyncpg.connect(empty_db)
    try:
        await conn.execute("INSERT INTO yoyo_lock (locked, ctime, pid) VALUES (1, now(), 424242)")
        migrate.break_lock(empty_db)
        assert await conn.fetchval("SELECT count(*) FROM yoyo_lock") == 0
    finally:
        await conn.close()
    assert migrate.apply(empty_db, schema, lock_timeout=1) == ["0002_b"]


async def test_a_failing_migration_names_itself_its_undoing_and_where_the_database_is(
    empty_db: str, tmp_path: Path
) -> None:
    schema = two_migrations(tmp_path)
    (schema / "0002_b.sql").write_text("-- depends: 0001_a\nSELECT 1/0;\n")
    with pytest.raises(migrate.MigrationError) as exc:
        migrate.apply(empty_db, schema)
    assert str(exc.value) == (
        "apply of 0002_b failed (its transaction was rolled back; database is at 0001_a): "
        "division by zero"
    )
    assert [s.applied for s in migrate.status(empty_db, schema)] == [True, False]


async def test_a_non_transactional_migration_stopping_says_which_statements_are_in_effect(
    empty_db: str, tmp_path: Path
) -> None:
    """Nothing is undone behind the user's back: the message names the statement (file and
    line), what is in effect, and how to go on; a first statement failing changed nothing."""
    schema = two_migrations(tmp_path)
    body = "-- transactional: false\n-- depends: 0001_a\n"
    path = schema / "0002_b.sql"
    path.write_text(body + "SELECT 1/0;\n")
    with pytest.raises(migrate.MigrationError) as exc:
        migrate.apply(empty_db, schema)
    assert str(exc.value) == (
        f"apply of 0002_b failed at statement 1 ({path}:3): division by zero; nothing was "
        "changed: the database is at 0001_a"
    )
    assert [(s.applied, s.interrupted) for s in migrate.status(empty_db, schema)] == [
        (True, None),
        (False, None),
    ]
    path.write_text(body + "CREATE TABLE IF NOT EXISTS b (id int);\nSELECT 1/0;\n")
    with pytest.raises(migrate.MigrationError) as exc:
        migrate.apply(empty_db, schema)
    assert str(exc.value) == (
        f"apply of 0002_b stopped at statement 2 of 2 ({path}:4): division by zero; the "
        "database is between 0001_a and 0002_b: statements 1-1 of 0002_b.sql are in effect "
        "(`codegen migrate apply` finishes 0002_b, `codegen migrate rollback` reverses it)"
    )
    assert [(s.applied, s.interrupted) for s in migrate.status(empty_db, schema)] == [
        (True, None),
        (False, "apply stopped after statement 1 of 2"),
    ]
    assert "b" in await tables(empty_db)
    said: list[str] = []
    assert migrate.rollback(empty_db, schema, report=said.append) == ["0002_b"]
    assert said[0] == (
        "rollback of 0002_b: reversing the interrupted apply (apply stopped after statement "
        "1 of 2) from statement 1 of 1"
    )
    assert "b" not in await tables(empty_db)
    assert [s.applied for s in migrate.status(empty_db, schema)] == [True, False]


async def test_a_failing_first_migration_leaves_no_migration_applied(
    empty_db: str, tmp_path: Path
) -> None:
    schema = two_migrations(tmp_path)
    (schema / "0001_a.sql").write_text("CREATE TABLE a (id nosuchtype);\n")
    with pytest.raises(migrate.MigrationError, match=r"database is at \(no migration applied\)"):
        migrate.apply(empty_db, schema)


def test_one_line_is_the_first_line_of_the_message_or_the_type() -> None:
    assert source.one_line(ValueError("first   line\n  second")) == "first line"
    assert source.one_line(ValueError("  ")) == "ValueError"
    assert source.one_line(ValueError()) == "ValueError"


async def test_mark_and_rollback_all_report_each_migration(empty_db: str, tmp_path: Path) -> None:
    """mark adopts a database whose first table was made by hand; apply goes on from there."""
    schema = two_migrations(tmp_path)
    conn = await asyncpg.connect(empty_db)
    try:
        await conn.execute("CREATE TABLE a (id int)")
    finally:
        await conn.close()
    said: list[str] = []
    assert migrate.mark(empty_db, schema, "0001", report=said.append) == ["0001_a"]
    assert said == ["marked 0001_a"] and "b" not in await tables(empty_db)
    said.clear()
    assert migrate.apply(empty_db, schema) == ["0002_b"]
    assert migrate.rollback_all(empty_db, schema, report=said.append) == ["0002_b", "0001_a"]
    assert said == ["rolled back 0002_b", "rolled back 0001_a"]


async def test_a_migration_that_keeps_hitting_its_lock_timeout_says_how_often_it_tried(
    empty_db: str, tmp_path: Path
) -> None:
    schema = two_migrations(tmp_path)
    migrate.apply(empty_db, schema, revision="0001")
    (schema / "0002_b.sql").write_text("-- depends: 0001_a\nALTER TABLE a ADD COLUMN x int;\n")
    said: list[str] = []
    holder = await lock_holder(empty_db, "a")
    try:
        session = migrate.Session(lock_timeout="50ms", retries=1, backoff=0.01)
        with pytest.raises(migrate.MigrationError) as exc:
            migrate.apply(empty_db, schema, session=session, report=said.append)
    finally:
        await holder.close()
    assert str(exc.value).startswith("apply of 0002_b failed after 2 attempts (its transaction")
    assert said == ["apply of 0002_b: canceling statement due to lock timeout; retry 1 in 0.01s"]


def test_a_python_migration_is_named_but_its_sql_is_not_invented(tmp_path: Path) -> None:
    schema = two_migrations(tmp_path)
    (schema / "0003_c.py").write_text(
        "from yoyo import step\n"
        '__depends__ = {"0002_b"}\n'
        'steps = [step("CREATE TABLE c (id int)")]\n'
    )
    plan = migrate.offline_sql(schema, "0002_b")
    assert plan == (
        "-- apply: from 0002_b (offline, no database read)\n\n"
        "-- apply 0003_c\n-- (Python migration: its SQL cannot be shown)\n"
    )


def test_a_leading_comment_is_kept_line_by_line(tmp_path: Path) -> None:
    schema = two_migrations(tmp_path)
    (schema / "0001_a.sql").write_text("-- one\n--\n-- two\nCREATE TABLE a (id int);\n")
    assert "\n-- apply 0001_a\n-- one\n--\n-- two\nBEGIN;\n" in migrate.offline_sql(schema)


async def test_every_accept_is_logged_and_one_without_a_recorded_checksum_says_so(
    empty_db: str, tmp_path: Path
) -> None:
    schema = two_migrations(tmp_path)
    migrate.apply(empty_db, schema)
    first = schema / "0001_a.sql"
    conn = await asyncpg.connect(empty_db)
    try:  # as if applied before checksums were kept
        await conn.execute("DELETE FROM _yoyo_codegen_checksum WHERE migration_id = '0001_a'")
        first.write_text(first.read_text() + "-- edit 1\n")
        assert migrate.accept(empty_db, schema, "0001_a")[1] is None
        first.write_text(first.read_text() + "-- edit 2\n")
        with pytest.raises(migrate.MigrationError, match="0001_a"):
            migrate.plan_sql(empty_db, schema)
        migrate.accept(empty_db, schema, "0001_a")
        comments = await conn.fetch(
            "SELECT comment FROM _yoyo_log WHERE operation = 'accept' ORDER BY created_at_utc"
        )
    finally:
        await conn.close()
    assert len(comments) == 2
    assert comments[0]["comment"].startswith("checksum (none) -> ")


async def test_rollback_refuses_a_migration_without_its_rollback_file_before_touching_anything(
    empty_db: str, tmp_path: Path
) -> None:
    schema = two_migrations(tmp_path)
    migrate.apply(empty_db, schema)
    (schema / "0001_a.rollback.sql").unlink()
    with pytest.raises(migrate.MigrationError) as exc:
        migrate.rollback_all(empty_db, schema)
    assert str(exc.value) == "0001_a has no rollback file 0001_a.rollback.sql"
    assert [s.applied for s in migrate.status(empty_db, schema)] == [True, True]


async def test_a_failing_rollback_names_itself_and_where_the_database_is(
    empty_db: str, tmp_path: Path
) -> None:
    schema = two_migrations(tmp_path)
    (schema / "0001_a.rollback.sql").write_text("SELECT 1/0;\n")
    migrate.apply(empty_db, schema)
    said: list[str] = []
    with pytest.raises(migrate.MigrationError) as exc:
        migrate.rollback_all(empty_db, schema, report=said.append)
    assert str(exc.value) == (
        "rollback of 0001_a failed (its transaction was rolled back; database is at 0001_a): "
        "division by zero"
    )
    assert said == ["rolled back 0002_b"]
    said.clear()
    (schema / "0001_a.rollback.sql").write_text("DROP TABLE a;\n")
    migrate.accept(empty_db, schema, "0001_a")  # the fixed rollback file, deliberately
    assert migrate.rollback(empty_db, schema, report=said.append) == ["0001_a"]
    assert said == ["rolled back 0001_a"]


async def test_a_rollback_waiting_for_a_lock_is_bounded_and_retried(
    empty_db: str, tmp_path: Path
) -> None:
    schema = two_migrations(tmp_path)
    migrate.apply(empty_db, schema)
    holder = await lock_holder(empty_db, "b")
    try:
        session = migrate.Session(lock_timeout="50ms", retries=1, backoff=0.01)
        with pytest.raises(migrate.MigrationError, match=r"^rollback of 0002_b failed after 2 "):
            migrate.rollback(empty_db, schema, session=session)
    finally:
        await holder.close()


async def test_status_lists_applied_migrations_without_a_file_by_time_then_id(
    empty_db: str, tmp_path: Path
) -> None:
    schema = two_migrations(tmp_path)
    migrate.apply(empty_db, schema)
    for name in ("0001_a", "0002_b"):
        (schema / f"{name}.sql").unlink()
        (schema / f"{name}.rollback.sql").unlink()
    (schema / "0003_c.sql").write_text("CREATE TABLE c (id int);\n")

    async def order(sql: str) -> list[str]:
        conn = await asyncpg.connect(empty_db)
        try:
            await conn.execute(sql)  # rewrites the row: it moves to the end of the heap
        finally:
            await conn.close()
        unknown = [s for s in migrate.status(empty_db, schema) if not s.known]
        assert all(s.applied and s.known is False and s.applied_at for s in unknown)
        return [s.id for s in unknown]

    earlier = "UPDATE _yoyo_migration SET applied_at_utc = '2000-01-01' WHERE migration_id = "
    assert await order(earlier + "'0002_b'") == ["0002_b", "0001_a"]
    assert await order(earlier + "'0001_a'") == ["0001_a", "0002_b"]


def test_a_revision_prefix_must_name_one_migration(tmp_path: Path) -> None:
    ordered = migrate.load_migrations(two_migrations(tmp_path))
    assert source.find(ordered, "0002") == 1
    with pytest.raises(migrate.MigrationError) as ambiguous:
        source.find(ordered, "000")
    assert str(ambiguous.value) == "revision '000' is ambiguous: 0001_a, 0002_b"
    with pytest.raises(migrate.MigrationError) as unknown:
        source.find(ordered, "9")
    assert str(unknown.value) == "unknown revision '9' (known: 0001_a, 0002_b)"


async def test_the_refusal_of_edited_files_names_each_and_says_what_to_do(
    empty_db: str, tmp_path: Path
) -> None:
    schema = two_migrations(tmp_path)
    migrate.apply(empty_db, schema)
    for name in ("0001_a", "0002_b"):
        (schema / f"{name}.sql").write_text((schema / f"{name}.sql").read_text() + "-- edit\n")
    with pytest.raises(migrate.MigrationError) as exc:
        migrate.apply(empty_db, schema)
    assert str(exc.value) == (
        f"applied migration changed since it was applied: {schema / '0001_a.sql'}, "
        f"{schema / '0002_b.sql'} (the database does not have the edit; restore the file and "
        "add a new migration, or if the edit is deliberate accept it with: "
        "codegen migrate accept 0001_a)"
    )


async def test_bookkeeping_times_are_utc_whatever_the_machine_time_zone(
    empty_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema = two_migrations(tmp_path)
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")  # UTC+14: no clock is that far off
    time.tzset()
    try:
        migrate.apply(empty_db, schema, revision="0001")
        (schema / "0001_a.sql").write_text("CREATE TABLE a (id int); -- edited\n")
        migrate.accept(empty_db, schema, "0001_a")
    finally:
        monkeypatch.undo()
        time.tzset()
    now = datetime.now(UTC).replace(tzinfo=None)
    conn = await asyncpg.connect(empty_db)
    try:
        recorded = await conn.fetchval("SELECT recorded_at_utc FROM _yoyo_codegen_checksum")
        logged = await conn.fetchval(
            "SELECT created_at_utc FROM _yoyo_log WHERE operation = 'accept'"
        )
    finally:
        await conn.close()
    assert abs(now - recorded) < timedelta(hours=1)
    assert abs(now - logged) < timedelta(hours=1)


async def test_the_retry_backoff_doubles_up_to_8_seconds(
    empty_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    schema = two_migrations(tmp_path)
    migrate.apply(empty_db, schema, revision="0001")
    (schema / "0002_b.sql").write_text("-- depends: 0001_a\nALTER TABLE a ADD COLUMN x int;\n")
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)  # the runner sleeps with time.sleep
    holder = await lock_holder(empty_db, "a")
    try:
        session = migrate.Session(lock_timeout="50ms", retries=4, backoff=3.0)
        with pytest.raises(migrate.MigrationError, match="failed after 5 attempts"):
            migrate.apply(empty_db, schema, session=session)
    finally:
        await holder.close()
    assert slept == [3.0, 6.0, 8.0, 8.0]
