"""`codegen drift` sees every hand-made change that alters what the service does.

Each case applies the project's migrations (a copy of the migrated template), makes one
kind of change by hand with real SQL on every table the migrations create (the tables
come from schema/, the indexes, columns and foreign keys from the database they build),
runs `codegen drift` as a user does, and expects exit 1 with each changed object named.
The unchanged database reports none (`test_schema_changes.py`), and so does a database
whose migrations themselves create triggers, rules, policies, functions and views
(`test_objects_the_migrations_create_compare_equal_until_changed_by_hand`).
"""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeAlias

import asyncpg
import pytest

from codegen import drift, migrate
from tests.conftest import ROOT, fixture_migration, run_codegen, schema_tables

SCHEMA = ROOT / "schema"
TABLES = sorted(schema_tables())

Conn: TypeAlias = "asyncpg.Connection[asyncpg.Record]"
Change = Callable[[Conn, str], Awaitable[list[str]]]  # makes the change; the lines expected


async def trigger_rewriting_rows(conn: Conn, dsn: str) -> list[str]:
    await conn.execute(
        "CREATE FUNCTION drift_rewrite() RETURNS trigger LANGUAGE plpgsql"
        " AS $$ BEGIN RETURN NEW; END $$"
    )
    for table in TABLES:
        await conn.execute(
            f"CREATE TRIGGER drift_rewrite BEFORE INSERT OR UPDATE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION drift_rewrite()"
        )
    return ["function drift_rewrite(): not in the migrations (database: CREATE OR REPLACE"] + [
        f"trigger {t}.drift_rewrite: not in the migrations (database: CREATE TRIGGER"
        for t in TABLES
    ]


async def policy_hiding_every_row(conn: Conn, dsn: str) -> list[str]:
    for table in TABLES:
        await conn.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        await conn.execute(f"CREATE POLICY drift_hide ON {table} USING (false)")
    return [
        line
        for t in TABLES
        for line in (
            f"policy {t}.drift_hide: not in the migrations (database: PERMISSIVE FOR ALL"
            " TO public USING (false))",
            f"row level security {t}: migrations say disabled; the database has ENABLED",
        )
    ]


async def row_level_security_forced(conn: Conn, dsn: str) -> list[str]:
    for table in TABLES:
        await conn.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    return [
        f"row level security {t}: migrations say disabled; the database has disabled, FORCED"
        for t in TABLES
    ]


async def rule_instead_of_deletes(conn: Conn, dsn: str) -> list[str]:
    for table in TABLES:
        await conn.execute(f"CREATE RULE drift_keep AS ON DELETE TO {table} DO INSTEAD NOTHING")
    return [
        f"rule {t}.drift_keep: not in the migrations (database: CREATE RULE drift_keep AS"
        f" ON DELETE TO public.{t} DO INSTEAD NOTHING (enabled))"
        for t in TABLES
    ]


async def unlogged_tables(conn: Conn, dsn: str) -> list[str]:
    """Every table UNLOGGED; a table referenced by a logged one cannot be, so referencing
    tables go first (the foreign keys as the migrations built them)."""
    rows = await conn.fetch(
        "SELECT confrelid::regclass::text AS referenced, conrelid::regclass::text AS referencing"
        " FROM pg_constraint WHERE contype = 'f' AND conrelid <> confrelid"
    )
    pending = set(TABLES)
    while pending:
        ready = sorted(
            t
            for t in pending
            if not any(r["referenced"] == t and r["referencing"] in pending for r in rows)
        )
        assert ready, f"foreign keys form a cycle among {pending}"
        for table in ready:
            await conn.execute(f"ALTER TABLE {table} SET UNLOGGED")
        pending -= set(ready)
    return [f"persistence {t}: migrations say logged; the database has UNLOGGED" for t in TABLES]


async def column_collation_changed(conn: Conn, dsn: str) -> list[str]:
    columns = await conn.fetch(
        """SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) AS type
           FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
           WHERE c.relname = ANY($1) AND a.attnum > 0 AND NOT a.attisdropped
             AND a.attcollation <> 0 ORDER BY 1, 2""",
        TABLES,
    )
    assert columns, "the migrations create no column of a collatable type"
    for r in columns:
        await conn.execute(
            f'ALTER TABLE {r["relname"]} ALTER COLUMN {r["attname"]} TYPE {r["type"]} COLLATE "C"'
        )
    return [
        f"column {r['relname']}.{r['attname']}: migrations say {r['type']} " for r in columns
    ] + [f'the database has {r["type"]} COLLATE "C" ' for r in columns]


async def replica_identity_full(conn: Conn, dsn: str) -> list[str]:
    rows = await conn.fetch(drift.SNAPSHOT_QUERIES["replica identity"])  # as migrated
    said = {str(r[0]): str(r[1]) for r in rows}
    for table in TABLES:
        await conn.execute(f"ALTER TABLE {table} REPLICA IDENTITY FULL")
    return [
        f"replica identity {t}: migrations say {said[t]}; the database has FULL" for t in TABLES
    ]


async def another_table_access_method(conn: Conn, dsn: str) -> list[str]:
    await conn.execute("CREATE ACCESS METHOD drift_heap TYPE TABLE HANDLER heap_tableam_handler")
    for table in TABLES:
        await conn.execute(f"ALTER TABLE {table} SET ACCESS METHOD drift_heap")
    return [f"access method {t}: migrations say heap; the database has drift_heap" for t in TABLES]


async def foreign_key_triggers_disabled(conn: Conn, dsn: str) -> list[str]:
    """DISABLE TRIGGER ALL turns off the triggers enforcing foreign keys too."""
    names = await conn.fetch(
        """SELECT DISTINCT c.relname || '.' || k.conname AS name
           FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
           JOIN pg_constraint k ON k.oid = t.tgconstraint
           WHERE t.tgisinternal AND c.relname = ANY($1)""",
        TABLES,
    )
    assert names, "the migrations create no foreign key"
    for table in TABLES:
        await conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
    return [
        f"trigger {r['name']} (the constraint's internal triggers): migrations say enabled;"
        " the database has DISABLED"
        for r in names
    ]


async def database_replication_role(conn: Conn, dsn: str) -> list[str]:
    """Every new session fires no trigger, foreign keys included."""
    database = await conn.fetchval("SELECT quote_ident(current_database())")
    await conn.execute(f"ALTER DATABASE {database} SET session_replication_role = replica")
    return ["database setting session_replication_role: not in the migrations (database: replica)"]


async def extension_installed(conn: Conn, dsn: str) -> list[str]:
    """The first extension the server offers that needs no other and installs."""
    names = await conn.fetch(
        """SELECT name FROM pg_available_extension_versions
           WHERE requires IS NULL AND NOT installed
             AND name NOT IN (SELECT extname FROM pg_extension) ORDER BY name"""
    )
    for r in names:
        try:
            await conn.execute(f'CREATE EXTENSION "{r["name"]}"')
        except asyncpg.PostgresError:
            continue
        version = await conn.fetchval(
            "SELECT extversion FROM pg_extension WHERE extname = $1", r["name"]
        )
        return [f"extension {r['name']}: not in the migrations (database: {version} "]
    raise AssertionError("the server offers no extension that installs alone")


async def invalid_indexes(conn: Conn, dsn: str) -> list[str]:
    """A concurrent build that times out waiting for a writer leaves its index INVALID
    (and not ready), under the very name the migrations give it."""
    indexes = await conn.fetch(
        """SELECT i.relname AS index, c.relname AS table, pg_get_indexdef(x.indexrelid) AS def
           FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
           JOIN pg_class c ON c.oid = x.indrelid
           WHERE c.relname = ANY($1)
             AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = x.indexrelid)""",
        TABLES,
    )
    assert indexes, "the migrations create no index outside a constraint"
    writer = await asyncpg.connect(dsn)
    try:
        await conn.execute("SET lock_timeout = '200ms'")
        for r in indexes:
            await conn.execute(f"DROP INDEX {r['index']}")
            async with writer.transaction():
                await writer.execute(f"LOCK TABLE {r['table']} IN ROW EXCLUSIVE MODE")
                concurrently = re.sub(r"^CREATE (UNIQUE )?INDEX ", r"\g<0>CONCURRENTLY ", r["def"])
                with pytest.raises(asyncpg.LockNotAvailableError):
                    await conn.execute(concurrently)
    finally:
        await writer.close()
    return [
        f"index {r['table']}.{r['index']}: migrations say {r['def']}; the database has"
        f" {r['def']} INVALID NOT READY (a failed concurrent build"
        for r in indexes
    ]


CHANGES: list[Change] = [
    trigger_rewriting_rows,
    policy_hiding_every_row,
    row_level_security_forced,
    rule_instead_of_deletes,
    unlogged_tables,
    column_collation_changed,
    replica_identity_full,
    another_table_access_method,
    foreign_key_triggers_disabled,
    database_replication_role,
    extension_installed,
    invalid_indexes,
]


def cli_drift(dsn: str, *args: str) -> tuple[int, list[str]]:
    run = run_codegen("drift", "--dsn", dsn, *args, cwd=ROOT)
    assert "Traceback" not in run.stderr
    assert run.returncode in (0, 1), run.stderr
    return run.returncode, run.stdout.splitlines()


@pytest.mark.parametrize("change", CHANGES, ids=[c.__name__ for c in CHANGES])
async def test_drift_names_each_hand_made_change(migrated_db: str, change: Change) -> None:
    conn = await asyncpg.connect(migrated_db)
    try:
        expected = await change(conn, migrated_db)
    finally:
        await conn.close()
    code, lines = cli_drift(migrated_db)
    assert code == 1, lines
    for fragment in expected:
        assert any(fragment in line for line in lines), (fragment, lines)
    assert lines[-1] == f"drift: the database differs from schema/ ({len(lines) - 1} line(s))"


# --------------------------------------------------------------------------- objects of
# the migrations' own: equal when built alike, each change of state or body named

OWN_OBJECTS = """
CREATE FUNCTION zz_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RETURN NEW;
END $$;
CREATE TRIGGER zz_stamp BEFORE UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION zz_stamp();
CREATE RULE zz_audit AS ON UPDATE TO {table} DO ALSO NOTIFY zz_changed;
ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
CREATE POLICY zz_all ON {table} USING (true) WITH CHECK (true);
CREATE VIEW zz_view AS SELECT count(*) AS n FROM {table};
"""

BY_HAND = """
ALTER TABLE {table} DISABLE TRIGGER zz_stamp;
ALTER TABLE {table} DISABLE RULE zz_audit;
ALTER POLICY zz_all ON {table} USING (false);
CREATE OR REPLACE FUNCTION zz_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RETURN NULL;
END $$;
CREATE OR REPLACE VIEW zz_view AS SELECT count(*) + 1 AS n FROM {table};
"""


async def test_objects_the_migrations_create_compare_equal_until_changed_by_hand(
    empty_db: str, tmp_path: Path
) -> None:
    schema = tmp_path / "schema"
    shutil.copytree(SCHEMA, schema)
    table = TABLES[0]
    fixture_migration(schema, "own_objects", OWN_OBJECTS.format(table=table))
    await asyncio.to_thread(migrate.apply, empty_db, schema)
    assert await drift.drift(empty_db, schema) == []

    conn = await asyncpg.connect(empty_db)
    try:
        await conn.execute(BY_HAND.format(table=table))
    finally:
        await conn.close()
    lines = await drift.drift(empty_db, schema)
    expected = [
        f"trigger {table}.zz_stamp: migrations say CREATE TRIGGER zz_stamp BEFORE UPDATE ON"
        f" public.{table} FOR EACH ROW EXECUTE FUNCTION zz_stamp() (enabled); the database has"
        f" CREATE TRIGGER zz_stamp BEFORE UPDATE ON public.{table} FOR EACH ROW EXECUTE"
        " FUNCTION zz_stamp() (DISABLED)",
        f"rule {table}.zz_audit: migrations say CREATE RULE zz_audit AS ON UPDATE TO"
        f" public.{table} DO NOTIFY zz_changed (enabled); the database has CREATE RULE"
        f" zz_audit AS ON UPDATE TO public.{table} DO NOTIFY zz_changed (DISABLED)",
        f"policy {table}.zz_all: migrations say PERMISSIVE FOR ALL TO public USING (true)"
        " WITH CHECK (true); the database has PERMISSIVE FOR ALL TO public USING (false)"
        " WITH CHECK (true)",
        "function zz_stamp(): migrations say CREATE OR REPLACE FUNCTION public.zz_stamp()"
        " RETURNS trigger LANGUAGE plpgsql AS $function$ BEGIN RETURN NEW; END $function$;"
        " the database has CREATE OR REPLACE FUNCTION public.zz_stamp() RETURNS trigger"
        " LANGUAGE plpgsql AS $function$ BEGIN RETURN NULL; END $function$",
        f"view zz_view: migrations say SELECT count(*) AS n FROM {table}; the database has"
        f" SELECT (count(*) + 1) AS n FROM {table}",
    ]
    assert sorted(lines) == sorted(expected)
