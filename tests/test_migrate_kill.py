"""`codegen migrate` killed at every statement boundary of every non-transactional migration,
then run again to completion: the schema, the data, the tombstones and the grants are what
an uninterrupted run gives.

Everything is derived from schema/: the non-transactional migrations (yoyo's
`use_transactions`) and their statements (`source.statements`, the runner's own splitting).
Boundary k of n statements: the run has executed statement k and is recording it (k = n + 1:
recording the migration as applied or rolled back). The run is stopped there
deterministically: a trigger on the runner's progress table makes that one write wait for an
advisory lock the test holds. Then either the client is killed (SIGKILL: its backend runs on
until it notices) or its blocked backend is terminated (`pg_terminate_backend`), and the same
command is run again. A statement that runs in a transaction is rolled back with its record;
one that cannot (CONCURRENTLY, a DO block that commits) has run and must run again safely.

The full matrix (every boundary, both kill kinds, apply and rollback, about 90 runs) is behind
the `kill` marker: `.venv/bin/python -m pytest -m kill tests/test_migrate_kill.py`. The
default run takes one boundary per migration and direction, and one reversal per migration
(killed apply, then rollback; killed rollback, then apply).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, suppress
from typing import Any

import asyncpg
import pytest
import sqlparse

from codegen import dbutil, drift, migrate
from codegen.migrate import source, stepwise
from codegen.migrate.source import Direction
from tests.conftest import ROOT, schema_tables
from tests.test_security import ROLES_DIR

SCHEMA = ROOT / "schema"
GATE = 424242  # the advisory lock the gated progress write waits for
ORDERED = migrate.load_migrations(SCHEMA)
IDS = [m.id for m in ORDERED]
STEPWISE = [m for m in ORDERED if not m.use_transactions]
TOMBSTONE_TABLE = "chat_provider_tombstones"


def _boundaries(m: Any, direction: Direction) -> int:
    return len(source.statements(m, direction)) + 1


def _cases() -> Iterator[Any]:
    for m in STEPWISE:
        for direction in ("apply", "rollback"):
            n = _boundaries(m, direction)
            middle = (n + 1) // 2
            for k in range(1, n + 1):
                for kind in ("sigkill", "terminate"):
                    default = k == middle and kind == (
                        "sigkill" if direction == "apply" else "terminate"
                    )
                    marks = () if default else (pytest.mark.kill,)
                    yield pytest.param(
                        m.id,
                        direction,
                        k,
                        kind,
                        id=f"{m.id[:4]}-{direction}-{k}of{n}-{kind}",
                        marks=marks,
                    )


def _removes_tombstones(mid: str) -> bool:
    """Whether rolling back `mid` would remove the tombstones (its rollback refuses then)."""
    i = IDS.index(mid)
    return TOMBSTONE_TABLE in schema_tables(i + 1) and TOMBSTONE_TABLE not in schema_tables(i)


# --------------------------------------------------------------------------- the templates


async def seed(dsn: str, tombstones: bool) -> None:
    """Two tenants with chats and messages; what the revision allows of: an orphan message,
    a cross-tenant chat, a deleted chat and a provider tombstone; grants as schema_roles/
    gives them (the statements for tables not there yet are skipped)."""
    conn = await asyncpg.connect(dsn)
    try:
        ids = []
        for n in range(2):
            acc = await conn.fetchval(
                "INSERT INTO accounts (name) VALUES ($1) RETURNING id", str(n)
            )
            usr = await conn.fetchval(
                "INSERT INTO users (account_id, email) VALUES ($1, $2) RETURNING id", acc, f"{n}@x"
            )
            agt = await conn.fetchval(
                "INSERT INTO agents (account_id, name) VALUES ($1, 'g') RETURNING id", acc
            )
            ids.append((acc, usr, agt))
        chats = [uuid.uuid4() for _ in range(3)]
        # chat_messages.account_id exists from 0011 on (NOT NULL from 0012): rows seeded
        # before 0011 or 0012 get it from the migration, later ones from the insert
        has_account = await conn.fetchval(
            "SELECT EXISTS (SELECT FROM pg_attribute WHERE attrelid = 'chat_messages'::regclass"
            " AND attname = 'account_id' AND attnotnull)"
        )
        message = (
            "INSERT INTO chat_messages (account_id, chat_id, client_message_id, role, content)"
            " SELECT account_id, id, $2, 'user', 'hi' FROM chats WHERE id = $1"
            if has_account
            else "INSERT INTO chat_messages (chat_id, client_message_id, role, content) "
            "VALUES ($1, $2, 'user', 'hi')"
        )
        for chat in chats:
            await conn.execute(
                "INSERT INTO chats (id, account_id, user_id, agent_id) VALUES ($1, $2, $3, $4)",
                chat,
                *ids[0],
            )
            for _ in range(2):
                await conn.execute(message, chat, uuid.uuid4())
        await _maybe(
            conn,
            "INSERT INTO chat_messages (chat_id, client_message_id, role, content)"
            f" VALUES ('{uuid.uuid4()}', '{uuid.uuid4()}', 'user', 'orphan')",
        )
        await _maybe(
            conn,
            "INSERT INTO chats (account_id, user_id, agent_id) VALUES "
            f"('{ids[0][0]}', '{ids[1][1]}', '{ids[0][2]}')",
        )
        if tombstones and await conn.fetchval(
            "SELECT to_regclass($1) IS NOT NULL", TOMBSTONE_TABLE
        ):
            await conn.execute("INSERT INTO chat_provider_tombstones (provider) VALUES ('gone')")
            await conn.execute("DELETE FROM chat_messages WHERE chat_id = $1", chats[2])
            await conn.execute(
                "UPDATE chats SET deleted_at = now(), title = '' WHERE id = $1", chats[2]
            )
    finally:
        await conn.close()
    await _grants(dsn)


async def _grants(dsn: str) -> None:
    """schema_roles/, the source of truth for grants (statements for tables this revision
    does not have yet are skipped)."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute((ROLES_DIR / "01_roles.sql").read_text())
        for statement in sqlparse.split((ROLES_DIR / "02_grants.sql").read_text()):
            await _maybe(conn, statement)
    finally:
        await conn.close()


async def _maybe(conn: asyncpg.Connection[Any], sql: str) -> None:
    """Run `sql` when this revision allows it (the table exists, no key or NOT NULL forbids it)."""
    with suppress(
        asyncpg.UndefinedTableError,
        asyncpg.ForeignKeyViolationError,
        asyncpg.NotNullViolationError,
    ):
        await conn.execute(sql)


async def state(dsn: str) -> dict[str, Any]:
    """What must come out the same: schema, data (every row), the app role's grants, the
    applied migrations, no progress left, no invalid index or unvalidated constraint."""
    conn = await asyncpg.connect(dsn)
    try:
        tables = [
            r[0]
            for r in await conn.fetch(
                "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace "
                "AND relkind = 'r' AND relname NOT LIKE '%yoyo%' ORDER BY 1"
            )
        ]
        rows = {
            t: await conn.fetchval(
                f"SELECT coalesce(string_agg(x::text, '|' ORDER BY x::text), '') FROM {t} x"
            )
            for t in tables
        }
        grants = await conn.fetch(
            "SELECT c.relname, a.privilege_type FROM pg_class c CROSS JOIN LATERAL aclexplode("
            "c.relacl) a WHERE c.relnamespace = 'public'::regnamespace "
            "AND a.grantee = 'chatdb_app'::regrole ORDER BY 1, 2"
        )
        broken = await conn.fetch(
            "SELECT conname FROM pg_constraint WHERE NOT convalidated UNION ALL "
            "SELECT indexrelid::regclass::text FROM pg_index WHERE NOT indisvalid"
        )
        progress = await conn.fetchval(f"SELECT count(*) FROM {stepwise.TABLE}")
        applied = await conn.fetch("SELECT migration_id FROM _yoyo_migration ORDER BY 1")
        schema = await drift.snapshot(conn)
    finally:
        await conn.close()
    return {
        "schema": schema,
        "rows": rows,
        "grants": [tuple(r) for r in grants],
        "broken": list(broken),
        "progress": progress,
        "applied": [r[0] for r in applied],
    }


class Templates:
    """Per (migration, direction): a seeded template database at the starting revision and
    the state an uninterrupted run leaves, built once per session."""

    def __init__(self, admin: str, stack: ExitStack) -> None:
        self.admin, self.stack = admin, stack
        self.templates: dict[tuple[str, str], str] = {}
        self.expected: dict[tuple[str, str], dict[str, Any]] = {}

    def template(self, mid: str, direction: str) -> str:
        key = (mid, direction)
        if key not in self.templates:
            dsn = self.stack.enter_context(dbutil.scratch_database_sync(self.admin, prefix="tmpl_"))
            upto = IDS[IDS.index(mid) - (direction == "apply")]
            migrate.apply(dsn, SCHEMA, upto)
            tombstones = direction == "apply" or not _removes_tombstones(mid)
            asyncio.run(seed(dsn, tombstones))
            self.templates[key] = dbutil.database_of(dsn)
            with dbutil.scratch_database_sync(
                self.admin, prefix="t_", template=self.templates[key]
            ) as ref:
                _run(direction, ref, mid)
                self.expected[key] = asyncio.run(state(ref))
        return self.templates[key]


def _run(direction: str, dsn: str, mid: str) -> list[str]:
    act = migrate.apply if direction == "apply" else migrate.rollback
    return act(dsn, SCHEMA, mid)


@pytest.fixture(scope="module")
def templates(admin_dsn: str) -> Iterator[Templates]:
    with ExitStack() as stack:
        yield Templates(admin_dsn, stack)


# --------------------------------------------------------------------------- the kill


def _gate_sql(direction: str, k: int, n: int) -> str:
    """A trigger making the progress write of boundary k wait for the test's advisory lock."""
    on_delete = "TRUE" if k == n else "FALSE"
    return f"""
CREATE FUNCTION kill_gate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (TG_OP = 'UPDATE' AND NEW.direction = '{direction}' AND NEW.done = {k})
       OR (TG_OP = 'DELETE' AND {on_delete}) THEN
        PERFORM pg_advisory_xact_lock({GATE});
    END IF;
    RETURN COALESCE(NEW, OLD);
END $$;
CREATE TRIGGER kill_gate BEFORE UPDATE OR DELETE ON {stepwise.TABLE}
    FOR EACH ROW EXECUTE FUNCTION kill_gate();
"""


async def _blocked_at_gate(conn: asyncpg.Connection[Any], proc: subprocess.Popen[str]) -> int:
    for _ in range(3000):
        pid = await conn.fetchval(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = $1 "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            GATE,
        )
        if pid:
            return int(pid)
        if proc.poll() is not None:
            pytest.fail(f"the run ended before the boundary: {proc.communicate()}")
        await asyncio.sleep(0.02)
    pytest.fail("the run never reached the boundary")


async def _no_other_backends(conn: asyncpg.Connection[Any]) -> None:
    """Wait until the killed client's backends have gone (an orphan finishes its statement)."""
    for _ in range(1500):
        left = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        if left == 0:
            return
        await asyncio.sleep(0.02)
    pytest.fail("the killed run's backends did not go away")


async def kill_at(dsn: str, mid: str, direction: Direction, k: int, kind: str) -> None:
    """Run the CLI, stop it at boundary k, kill it the given way; the gate is gone after."""
    n = _boundaries(next(m for m in ORDERED if m.id == mid), direction)
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(_gate_sql(direction, k, n))
        await admin.execute("SELECT pg_advisory_lock($1)", GATE)
        cmd = [
            sys.executable,
            "-m",
            "codegen",
            "migrate",
            "--dsn",
            dsn,
            "--ddl-lock-timeout",
            "120s",
            direction,
            "--revision",
            mid,
        ]
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=dict(os.environ),
        )
        pid = await _blocked_at_gate(admin, proc)
        if kind == "sigkill":
            proc.send_signal(signal.SIGKILL)
        else:
            await admin.execute("SELECT pg_terminate_backend($1)", pid)
        _, err = proc.communicate(timeout=60)
        if kind == "sigkill":
            assert proc.returncode == -signal.SIGKILL
        else:  # the client saw its connection die: one line, saying where the database is
            assert proc.returncode == 1 and "Traceback" not in err, err
            assert len(err.strip().splitlines()) == 1 and mid in err, err
        await admin.execute("SELECT pg_advisory_unlock($1)", GATE)
        await _no_other_backends(admin)
        await admin.execute(
            f"DROP TRIGGER kill_gate ON {stepwise.TABLE}; DROP FUNCTION kill_gate()"
        )
    finally:
        await admin.close()


@pytest.mark.parametrize(("mid", "direction", "k", "kind"), list(_cases()))
async def test_killed_at_a_statement_boundary_and_run_again_completes_as_if_never_killed(
    templates: Templates, admin_dsn: str, mid: str, direction: Direction, k: int, kind: str
) -> None:
    template = await asyncio.to_thread(templates.template, mid, direction)
    async with dbutil.scratch_database(admin_dsn, prefix="t_", template=template) as dsn:
        await kill_at(dsn, mid, direction, k, kind)
        assert await asyncio.to_thread(_run, direction, dsn, mid) == [mid]
        assert await state(dsn) == templates.expected[(mid, direction)]


@pytest.mark.parametrize("mid", [m.id for m in STEPWISE])
@pytest.mark.parametrize("first", ["apply", "rollback"])
async def test_killed_and_reversed_returns_to_the_state_before(
    templates: Templates, admin_dsn: str, mid: str, first: Direction
) -> None:
    """Killed half way, then the other command: the schema, grants and tombstones are those
    of the starting revision (rows a forward data migration deleted stay deleted)."""
    template = await asyncio.to_thread(templates.template, mid, first)
    then: Direction = "rollback" if first == "apply" else "apply"
    async with dbutil.scratch_database(admin_dsn, prefix="t_", template=template) as start:
        before = await state(start)
    async with dbutil.scratch_database(admin_dsn, prefix="t_", template=template) as dsn:
        n = _boundaries(next(m for m in ORDERED if m.id == mid), first)
        await kill_at(dsn, mid, first, (n + 1) // 2, "terminate")
        assert await asyncio.to_thread(_run, then, dsn, mid) == [mid]
        # As after every apply, the grants are applied: a table the rollback had dropped is
        # created anew by the apply, without them.
        await _grants(dsn)
        after = await state(dsn)
    keep = ("schema", "grants", "broken", "progress", "applied")
    assert {k: after[k] for k in keep} == {k: before[k] for k in keep}
    for table in (TOMBSTONE_TABLE,):
        assert after["rows"].get(table) == before["rows"].get(table)
