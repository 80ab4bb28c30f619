"""Fixtures and helpers for the reliability tests: faults, soak, hostile input, security.

These tests kill backends, restart the server and create roles, so they never use the
shared server or DATABASE_URL: the session gets a throwaway initdb cluster of its own
(`fault_cluster`) with one migrated template database, and each test a fresh copy of it.

Test modules load this file with ``pytest_plugins = ["tests.reliability_fixtures"]`` so
the session-scoped cluster is shared by all of them (one plugin, one fixture instance).
They also import helpers from it, so it is imported before pytest could rewrite its
asserts: PYTEST_DONT_REWRITE says so, and its checks raise AssertionError explicitly.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import psycopg
import pytest

from chatdb.database import Database
from chatdb.db import chat_messages as q_messages
from chatdb.db import chatmodelconfigs as q_configs
from chatdb.db import chats as q_chats
from chatdb.db.runtime import create_pool
from chatdb.service import ChatService
from chatdb.tx import RetryPolicy, Timeouts
from codegen import dbutil, migrate
from tests import pgcluster
from tests.conftest import schema_tables

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "schema"
TEMPLATE = "reliability_template"
# Every table the migrations create (the catalog's replay of schema/), never a hand list.
APP_TABLES = tuple(sorted(schema_tables()))


# --------------------------------------------------------------------------- the cluster


def server_is_up(cluster: pgcluster.Cluster) -> bool:
    try:
        with psycopg.connect(cluster.dsn, connect_timeout=2):
            return True
    except psycopg.OperationalError:
        return False


def ensure_running(cluster: pgcluster.Cluster) -> None:
    """Start the cluster again if a failed fault test left it stopped."""
    if not server_is_up(cluster):
        cluster.start()


@pytest.fixture(scope="session")
def fault_cluster() -> Iterator[pgcluster.Cluster]:
    """A PostgreSQL cluster owned by this test session: safe to kill, restart and stop."""
    try:
        cluster = pgcluster.start_cluster()
    except pgcluster.NoPostgres as exc:
        pytest.fail(str(exc))
    try:
        template = dbutil.dsn_with_database(cluster.dsn, TEMPLATE)
        dbutil.sync_execute(cluster.dsn, f'CREATE DATABASE "{TEMPLATE}"')
        migrate.apply(template, SCHEMA)
        yield cluster
    finally:
        cluster.remove()


@contextlib.asynccontextmanager
async def scratch_db(
    cluster: pgcluster.Cluster, template: str | None = TEMPLATE
) -> AsyncIterator[str]:
    """A fresh database, by default at the latest migration (a copy of the template),
    else empty; dropped afterwards (the server restarted first if a test stopped it)."""
    ensure_running(cluster)
    async with dbutil.scratch_database(cluster.dsn, prefix="r_", template=template) as dsn:
        try:
            yield dsn
        finally:
            ensure_running(cluster)


@pytest.fixture
async def fault_db(fault_cluster: pgcluster.Cluster) -> AsyncIterator[str]:
    """DSN of a fresh migrated database on the session's own cluster."""
    async with scratch_db(fault_cluster) as dsn:
        yield dsn


# --------------------------------------------------------------------------- the service


FAST_RETRY = RetryPolicy(attempts=8, base_delay=0.002, max_delay=0.05)


@contextlib.asynccontextmanager
async def open_service(
    dsn: str,
    *,
    min_size: int = 1,
    max_size: int = 4,
    retry: RetryPolicy | None = None,
    timeouts: Timeouts | None = None,
    **pool_kwargs: Any,
) -> AsyncIterator[ChatService]:
    pool = await create_pool(dsn, min_size=min_size, max_size=max_size, **pool_kwargs)
    try:
        yield ChatService(
            await Database.over(pool, retry=retry or FAST_RETRY, timeouts=timeouts or Timeouts())
        )
    finally:
        try:
            await asyncio.wait_for(pool.close(), timeout=10)
        except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            pool.terminate()


@contextlib.asynccontextmanager
async def connect(dsn: str) -> AsyncIterator[asyncpg.Connection[Any]]:
    conn: asyncpg.Connection[Any] = await asyncpg.connect(dsn)
    try:
        yield conn
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(conn.close(), timeout=5)


# --------------------------------------------------------------------------- checks


async def invariant_violations(conn: asyncpg.Connection[Any]) -> list[str]:
    """Every data invariant the chat backend promises; empty when all hold."""
    bad: list[str] = []
    defaults = await conn.fetchval(
        "SELECT count(*) FROM chat_model_configs WHERE is_default AND NOT deleted"
    )
    live = await conn.fetchval("SELECT count(*) FROM chat_model_configs WHERE NOT deleted")
    if defaults > 1:
        bad.append(f"{defaults} live default model configs")
    if live > 0 and defaults == 0:
        bad.append(f"{live} live model configs but no default")
    usable = len(await q_configs.get_enabled_chat_model_configs(conn))
    if usable and await q_configs.get_usable_default_chat_model_config(conn) is None:
        bad.append(f"{usable} usable model configs but the default is not usable")
    orphans = await q_configs.count_live_chat_model_configs_without_provider(conn)
    if orphans:
        bad.append(f"{orphans} live model configs without a provider")
    lost = await q_messages.count_orphaned_chat_messages(conn)
    if lost:
        bad.append(f"{lost} messages without a chat")
    for row in await q_chats.list_chats_with_wrong_message_count(conn):
        bad.append(f"chat {row.id}: message_count {row.message_count} but {row.actual} messages")
    dups = await conn.fetch(
        "SELECT client_message_id, count(*) AS n FROM chat_messages "
        "GROUP BY client_message_id HAVING count(*) > 1"
    )
    bad += [f"client_message_id {r['client_message_id']} stored {r['n']} times" for r in dups]
    unresolved = await conn.fetchval(
        "SELECT count(*) FROM chat_messages WHERE model_config_id IS NULL"
    )
    if unresolved:
        bad.append(f"{unresolved} messages without a model config")
    return bad


async def assert_invariants(dsn: str) -> None:
    async with connect(dsn) as conn:
        bad = await invariant_violations(conn)
    if bad:
        raise AssertionError("invariants violated:\n" + "\n".join(bad))


async def fingerprint(conn: asyncpg.Connection[Any]) -> dict[str, tuple[int, str]]:
    """Row count and a digest of every row of every application table."""
    out: dict[str, tuple[int, str]] = {}
    for table in APP_TABLES:
        row = await conn.fetchrow(
            f"SELECT count(*) AS n, md5(coalesce(string_agg(md5(t::text), ',' "
            f"ORDER BY md5(t::text)), '')) AS digest FROM {table} t"
        )
        if row is None:
            raise AssertionError(f"no fingerprint for {table}")
        out[table] = (row["n"], row["digest"])
    return out


# --------------------------------------------------------------------------- lock helpers


_BLOCKED = (
    "SELECT pid, query, backend_xid::text AS xid FROM pg_stat_activity "
    "WHERE $1 = ANY(pg_blocking_pids(pid)) AND ($2::int IS NULL OR pid = $2)"
)
# Both ends of a wait by global pid (node * 10^10 + pid), on this node; the waiting
# transaction has written if it has a transaction id on any node (its worker's, mostly).
_BLOCKED_ON_CITUS = """
    WITH me AS (SELECT citus_nodeid_for_gpid(citus_backend_gpid()) AS node),
    waiting AS (
        SELECT citus_pid_for_gpid(w.waiting_gpid) AS pid FROM citus_lock_waits w, me
        WHERE w.blocking_gpid = citus_calculate_gpid(me.node, $1)
          AND citus_nodeid_for_gpid(w.waiting_gpid) = me.node
        UNION
        SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))
    )
    SELECT a.pid, a.query, (
        SELECT max(s.backend_xid::text) FROM citus_stat_activity s, me
        WHERE s.global_pid = citus_calculate_gpid(me.node, a.pid)
    ) AS xid
    FROM pg_stat_activity a
    WHERE a.pid IN (SELECT pid FROM waiting) AND ($2::int IS NULL OR a.pid = $2)"""


async def wait_until_blocked_by(
    admin: asyncpg.Connection[Any], blocker_pid: int, *, timeout: float = 10.0
) -> asyncpg.Record:
    """The backend waiting for a lock `blocker_pid` holds: its pid, query and xid (None
    while its transaction has written nothing). On a Citus coordinator the lock may be a
    worker's (a shard's row): there the wait is read from citus_lock_waits."""
    on_citus = await admin.fetchval(
        "SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus')"
    )
    sql = _BLOCKED_ON_CITUS if on_citus else _BLOCKED
    deadline = time.monotonic() + timeout
    while True:
        row = await admin.fetchrow(sql, blocker_pid, None)
        if row is not None:
            # pg_stat_activity is read once at the start of a query while the blocking
            # check is live: read again, now that the backend is known to be waiting,
            # so the query text is the one it waits in.
            again: asyncpg.Record | None = await admin.fetchrow(sql, blocker_pid, row["pid"])
            if again is not None:
                return again
        if time.monotonic() > deadline:
            raise AssertionError(f"nothing got blocked by backend {blocker_pid} in {timeout}s")
        await asyncio.sleep(0.01)
