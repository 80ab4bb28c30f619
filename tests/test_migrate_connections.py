"""The migration commands' connections, called in-process (found by `python -m mutation migrate`).

The CLI tests check these messages through `python -m codegen migrate` in a new process,
which mutation testing cannot see; here the same promises are checked on the library:
a DSN is checked before anything connects, a server that is not there is one line naming
it (never the password), options already in the DSN survive beside the session's
timeouts, and a database last migrated by yoyo < 6 can still be read.
"""

from __future__ import annotations

import socket
from datetime import datetime
from pathlib import Path

import asyncpg
import pytest

from codegen import migrate


def one_migration(tmp_path: Path, sql: str = "CREATE TABLE a (id int);\n") -> Path:
    schema = tmp_path / "schema"
    schema.mkdir()
    (schema / "0001_a.sql").write_text(sql)
    (schema / "0001_a.rollback.sql").write_text("DROP TABLE a;\n")
    return schema


def closed_port() -> int:
    """A local port nothing listens on: connecting is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


EXPECTED = "expected postgresql://user@host:port/dbname"


@pytest.mark.parametrize(
    ("dsn", "message"),
    [
        ("mysql://u@localhost/db", f"invalid DSN 'mysql://u@localhost/db': {EXPECTED}"),
        ("localhost/db", f"invalid DSN 'localhost/db': {EXPECTED}"),
        (
            "postgresql://u:hunter2@h:port/db",
            "invalid DSN 'postgresql://u:***@h:port/db': "
            "Port could not be cast to integer value as 'port'",
        ),
        (
            "postgresql://u:hunter2@localhost:5432",
            "invalid DSN 'postgresql://u:***@localhost:5432': no database name",
        ),
        (
            "postgresql://u@localhost:5432/",
            "invalid DSN 'postgresql://u@localhost:5432/': no database name",
        ),
    ],
)
def test_a_dsn_that_is_not_a_postgresql_url_is_refused_before_connecting(
    tmp_path: Path, dsn: str, message: str
) -> None:
    schema = one_migration(tmp_path)
    for command in (migrate.apply, migrate.status, migrate.plan_sql):
        with pytest.raises(migrate.MigrationError) as exc:
            command(dsn, schema)
        assert str(exc.value) == message


async def test_every_postgresql_url_spelling_is_accepted(empty_db: str, tmp_path: Path) -> None:
    schema = one_migration(tmp_path)
    rest = empty_db.partition("://")[2]
    spellings = ["postgres", "POSTGRESQL", "postgresql+psycopg", "postgres+psycopg"]
    for scheme in spellings:
        assert [s.id for s in migrate.status(f" {scheme}://{rest} ", schema)] == ["0001_a"]
    assert migrate.apply(f"Postgres://{rest}\n", schema) == ["0001_a"]


def test_a_server_that_is_not_there_is_one_line_naming_it_without_the_password(
    tmp_path: Path,
) -> None:
    schema = one_migration(tmp_path)
    port = closed_port()
    dsn = f"postgresql://postgres:hunter2@127.0.0.1:{port}/postgres"
    expected = (
        f"cannot connect to 127.0.0.1:{port}: connection refused; is PostgreSQL running there "
        "and listening on that port? (check the host and port in the DSN)"
    )
    for command in (migrate.apply, migrate.rollback, migrate.mark, migrate.status):
        with pytest.raises(migrate.MigrationError) as exc:
            command(dsn, schema)
        assert str(exc.value) == expected
    with pytest.raises(migrate.MigrationError) as exc:
        migrate.break_lock(dsn)
    assert str(exc.value) == expected


async def test_a_missing_database_is_named_with_its_server(empty_db: str, tmp_path: Path) -> None:
    schema = one_migration(tmp_path)
    missing = empty_db.rpartition("/")[0] + "/no_such_database_here"
    host = missing.partition("@")[2].partition("/")[0]
    for command in (migrate.apply, migrate.status):
        with pytest.raises(migrate.MigrationError) as exc:
            command(missing, schema)
        assert str(exc.value).startswith(
            f'database "no_such_database_here" does not exist on {host}: '
        )


async def test_options_in_the_dsn_are_kept_beside_the_session_timeouts(
    empty_db: str, tmp_path: Path
) -> None:
    schema = one_migration(
        tmp_path,
        "CREATE TABLE a AS SELECT current_setting('work_mem') AS work_mem,"
        " current_setting('lock_timeout') AS lock_timeout,"
        " current_setting('statement_timeout') AS statement_timeout,"
        " current_setting('application_name') AS app;\n",
    )
    dsn = f"{empty_db}?application_name=ci://deploy&options=-c%20work_mem%3D7MB"
    session = migrate.Session(lock_timeout="3s", statement_timeout="2min")
    assert migrate.apply(dsn, schema, session=session) == ["0001_a"]
    conn = await asyncpg.connect(empty_db)
    try:
        row = await conn.fetchrow("SELECT * FROM a")
    finally:
        await conn.close()
    assert row is not None and tuple(row) == ("7MB", "3s", "2min", "ci://deploy")


async def test_a_database_last_migrated_by_yoyo_before_6_is_listed_without_changing_it(
    empty_db: str, tmp_path: Path
) -> None:
    """yoyo < 6 kept (id, ctime) and no version table; `list`, `sql`, `drift` only read."""
    schema = one_migration(tmp_path)
    (schema / "0002_b.sql").write_text("-- depends: 0001_a\nCREATE TABLE b (id int);\n")
    conn = await asyncpg.connect(empty_db)
    try:
        await conn.execute(
            "CREATE TABLE _yoyo_migration (id varchar(191) PRIMARY KEY, ctime timestamp);"
            "INSERT INTO _yoyo_migration VALUES ('0001_a', '2017-03-04 05:06:07');"
            "CREATE TABLE a (id int)"
        )
        statuses = migrate.status(empty_db, schema)
        plan = migrate.plan_sql(empty_db, schema)
        tables = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        )
    finally:
        await conn.close()
    assert [(s.id, s.applied, s.applied_at) for s in statuses] == [
        ("0001_a", True, datetime(2017, 3, 4, 5, 6, 7)),
        ("0002_b", False, None),
    ]
    assert plan.startswith("-- apply: database is at 0001_a\n\n-- apply 0002_b\n")
    assert [r["tablename"] for r in tables] == ["_yoyo_migration", "a"]


def test_a_schema_directory_that_cannot_be_read_says_which_and_why(tmp_path: Path) -> None:
    def refusal(schema: Path) -> str:
        with pytest.raises(migrate.MigrationError) as exc:
            migrate.load_migrations(schema)
        return str(exc.value)

    assert refusal(tmp_path / "nowhere") == f"schema directory not found: {tmp_path / 'nowhere'}"
    (tmp_path / "empty").mkdir()
    assert refusal(tmp_path / "empty") == f"no migrations found in {tmp_path / 'empty'}"
    schema = one_migration(tmp_path, "-- depends: 0000_nosuch\nCREATE TABLE a (id int);\n")
    assert refusal(schema) == (
        f"cannot read migrations in {schema}: Could not resolve dependencies in "
        f"{schema / '0001_a.sql'}"
    )
