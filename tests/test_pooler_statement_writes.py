"""Behind a transaction-mode pooler, a send is two round trips when the server holds the
bounds itself.

Behind PgBouncer in transaction mode no session setting of the client's lasts, so the
one-statement send cannot keep its bounds as session settings the way a direct
connection does; it used to run in a transaction: BEGIN with the bounds, Parse, Bind and
Execute, COMMIT (4 round trips). When the server's own defaults are the bounds
(`ALTER ROLE … SET statement_timeout`, or `ALTER DATABASE … SET`), `Database.over`
finds that out and the statement runs bare: Parse (asyncpg ends it with Flush, so the
pooler keeps the server connection), then Bind and Execute. That is 2 round trips,
counted on the wire between the client and the real PgBouncer. The statement still
checks its bounds itself: when a server connection does not hold them, it writes
nothing and the transactional path stores the message, once.

PgBouncer 1.21 and later keeps the clients' prepared statements on every server
connection itself (`max_prepared_statements`): a pool made with `statement_cache_size`
besides `pgbouncer=True` keeps asyncpg's cache there, and a send is one round trip, as on
a direct connection. Behind a pooler that keeps none, that cache fails on the next server
connection (26000): an error naming the fix, never a wrong result.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

import asyncpg
import pytest

from chatdb.admin import AdminService
from chatdb.database import Database
from chatdb.db.runtime import Connection, PoolerKeepsNoStatements, create_pool
from chatdb.errors import InternalError
from chatdb.sending import SentMessage
from chatdb.service import ChatService
from chatdb.tx import Timeouts
from tests import pgcluster
from tests.tcp_proxy import Proxy, running_proxy
from tests.test_network import dbname, pgbouncer
from tests.world import World, seed_world

pytest_plugins = ["tests.reliability_fixtures"]

TIMEOUTS = Timeouts(statement=30, lock=5)


async def _server_defaults(fault_db: str, statement: str | None, lock: str | None) -> None:
    """The database's own defaults for new sessions (None: PostgreSQL's)."""
    conn = await asyncpg.connect(fault_db)
    try:
        name = dbname(fault_db)
        for setting, value in (("statement_timeout", statement), ("lock_timeout", lock)):
            tail = "RESET " + setting if value is None else f"SET {setting} = '{value}'"
            await conn.execute(f'ALTER DATABASE "{name}" {tail}')
    finally:
        await conn.close()


@asynccontextmanager
async def _pooled(
    cluster: pgcluster.Cluster, fault_db: str, *, server_bounds: bool, kept: int | None
) -> AsyncIterator[tuple[Proxy, asyncpg.Pool[Any]]]:
    """A pgbouncer=True pool of one connection, through a counting proxy, through
    PgBouncer; the database's defaults are the bounds if `server_bounds`. `kept`: None, no
    statement cache (PgBouncer as any version runs it); else the pool keeps asyncpg's
    cache and PgBouncer keeps `kept` prepared statements per client (0: none), handing
    out its two server connections in turn."""
    held = TIMEOUTS.shown() if server_bounds else (None, None)
    await _server_defaults(fault_db, *held)
    cache: dict[str, Any] = {} if kept is None else {"statement_cache_size": 100}
    turns = kept is not None
    with pgbouncer(
        cluster, dbname(fault_db), pool_size=2, prepared=kept or 0, round_robin=turns
    ) as port:
        async with running_proxy("127.0.0.1", port) as proxy:
            dsn = proxy.dsn(dbname(fault_db))
            if kept is not None:
                await _both_servers_open(dsn)
            pool = await create_pool(dsn, min_size=1, max_size=1, pgbouncer=True, **cache)
            try:
                yield proxy, pool
            finally:
                await pool.close()


async def _both_servers_open(dsn: str) -> None:
    """Two transactions at once through the pooler: it opens both server connections,
    which it then hands out in turn."""
    conns = [await asyncpg.connect(dsn, statement_cache_size=0) for _ in range(2)]
    try:
        for conn in conns:
            await conn.execute("BEGIN; SELECT 1")
        for conn in conns:
            await conn.execute("ROLLBACK")
    finally:
        for conn in conns:
            await conn.close()


@asynccontextmanager
async def _through_pgbouncer(
    cluster: pgcluster.Cluster, fault_db: str, *, server_bounds: bool, kept: int | None = None
) -> AsyncIterator[tuple[Proxy, ChatService, World]]:
    """A service over `_pooled`'s pool, with its world seeded."""
    async with _pooled(cluster, fault_db, server_bounds=server_bounds, kept=kept) as (
        proxy,
        pool,
    ):
        svc = ChatService(await Database.over(pool, timeouts=TIMEOUTS))
        assert svc.db.server_bounds is server_bounds
        world = await seed_world(svc, providers=("alpha",), configs_per_provider=1)
        yield proxy, svc, world


async def _counted(proxy: Proxy, call: Any) -> tuple[int, Any]:
    before = proxy.round_trips
    result = await call
    return proxy.round_trips - before, result


async def _send(
    through: tuple[Proxy, ChatService, World], chat: uuid.UUID, mid: uuid.UUID | None = None
) -> tuple[int, SentMessage]:
    """A user's message sent, and the round trips it took on the wire."""
    proxy, svc, world = through
    mid = mid or uuid.uuid4()
    return await _counted(
        proxy, svc.send_message(**world.who, chat_id=chat, client_message_id=mid, content="hi")
    )


async def _reply(
    through: tuple[Proxy, ChatService, World], chat: uuid.UUID
) -> tuple[int, SentMessage]:
    """An assistant's turn in `chat`, and the round trips it took on the wire."""
    proxy, svc, world = through
    return await _counted(proxy, svc.add_assistant_message(
        account_id=world.account_id, agent_id=world.agent_id, chat_id=chat,
        client_message_id=uuid.uuid4(), content="hello"))  # fmt: skip


async def test_a_send_through_pgbouncer_is_two_round_trips_when_the_server_holds_the_bounds(
    fault_cluster: pgcluster.Cluster, fault_db: str
) -> None:
    async with _through_pgbouncer(fault_cluster, fault_db, server_bounds=True) as through:
        chat = uuid.uuid4()
        for expected_count in (1, 2):  # a new chat, then the same chat again
            trips, sent = await _send(through, chat)
            assert trips == 2 and sent.chat.message_count == expected_count
        trips, reply = await _reply(through, chat)
        assert trips == 2 and reply.chat.message_count == 3


async def test_without_the_bounds_on_the_server_the_send_keeps_its_transaction(
    fault_cluster: pgcluster.Cluster, fault_db: str
) -> None:
    async with _through_pgbouncer(fault_cluster, fault_db, server_bounds=False) as through:
        trips, sent = await _send(through, uuid.uuid4())
        assert trips == 4 and sent.chat.message_count == 1


async def test_bounds_gone_from_the_server_later_fall_back_and_store_the_message_once(
    fault_cluster: pgcluster.Cluster, fault_db: str
) -> None:
    async with _through_pgbouncer(fault_cluster, fault_db, server_bounds=True) as through:
        chat, mid = uuid.uuid4(), uuid.uuid4()
        await _send(through, chat)
        # A server connection that no longer holds the bounds, as another client of
        # the pooler may leave it: a session SET the pool does not reset.
        async with through[1].db.pool.acquire() as conn:
            await conn.execute("SET lock_timeout = '1min'")
            cast(Connection, conn).unchanged_session()  # a false vouch: no reset
        trips, sent = await _send(through, chat, mid)
        assert trips > 2 and sent.chat.message_count == 2 and not sent.duplicate
        _, again = await _send(through, chat, mid)
        assert again.duplicate and again.chat.message_count == 2


async def test_a_send_through_a_pgbouncer_keeping_prepared_statements_is_one_round_trip(
    fault_cluster: pgcluster.Cluster, fault_db: str
) -> None:
    async with _through_pgbouncer(fault_cluster, fault_db, server_bounds=True, kept=200) as (
        through
    ):
        async with through[1].db.pool.acquire() as conn:
            pids = {await conn.fetchval("SELECT pg_backend_pid()") for _ in range(4)}
        assert len(pids) == 2  # one client connection, two server connections in turn
        chat = uuid.uuid4()
        await _send(through, uuid.uuid4())  # asyncpg prepares the statement, once
        for expected_count in (1, 2, 3):  # a new chat, then the same chat, on both servers
            trips, sent = await _send(through, chat)
            assert trips == 1 and sent.chat.message_count == expected_count
        trips, reply = await _reply(through, chat)
        assert trips == 2 and reply.chat.message_count == 4  # its first use prepares it
        trips, reply = await _reply(through, chat)
        assert trips == 1 and reply.chat.message_count == 5


async def test_a_statement_cache_behind_a_pgbouncer_keeping_none_names_the_fix(
    fault_cluster: pgcluster.Cluster, fault_db: str
) -> None:
    with pytest.raises(PoolerKeepsNoStatements) as caught:  # at connect: its type lookups
        async with _pooled(fault_cluster, fault_db, server_bounds=True, kept=0):
            pass
    assert "max_prepared_statements" in str(caught.value)
    assert "statement_cache_size" in str(caught.value)
    assert isinstance(caught.value.__cause__, asyncpg.InvalidSQLStatementNameError)


async def test_a_cached_statement_gone_from_the_server_is_an_error_naming_the_fix(
    migrated_db: str,
) -> None:
    """Later, in an operation (the pooler handed out a server connection lacking the
    statement; here the statements are deallocated behind asyncpg's back): the service's
    InternalError names the fix, as at connect."""
    pool = await create_pool(migrated_db, min_size=1, max_size=1)
    try:
        admin = AdminService(Database(pool, timeouts=TIMEOUTS))
        await admin.list_enabled_model_configs()  # its statement now in asyncpg's cache
        async with pool.acquire() as conn:
            await conn.execute("DEALLOCATE ALL")
        with pytest.raises(InternalError) as caught:
            await admin.list_enabled_model_configs()
        assert str(caught.value) == PoolerKeepsNoStatements.MESSAGE
        assert isinstance(caught.value.__cause__, asyncpg.InvalidSQLStatementNameError)
    finally:
        await pool.close()
