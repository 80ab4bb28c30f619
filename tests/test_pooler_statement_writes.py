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
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

import asyncpg

from chatdb.database import Database
from chatdb.db.runtime import Connection, create_pool
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
async def _through_pgbouncer(
    cluster: pgcluster.Cluster, fault_db: str, *, server_bounds: bool
) -> AsyncIterator[tuple[Proxy, ChatService, World]]:
    """A service over a pgbouncer=True pool, through a counting proxy, through PgBouncer,
    with its world seeded; the database's defaults are the bounds if `server_bounds`."""
    held = TIMEOUTS.shown() if server_bounds else (None, None)
    await _server_defaults(fault_db, *held)
    with pgbouncer(cluster, dbname(fault_db), pool_size=2) as port:
        async with running_proxy("127.0.0.1", port) as proxy:
            dsn = proxy.dsn(dbname(fault_db))
            pool = await create_pool(dsn, min_size=1, max_size=1, pgbouncer=True)
            try:
                svc = ChatService(await Database.over(pool, timeouts=TIMEOUTS))
                assert svc.db.server_bounds is server_bounds
                world = await seed_world(svc, providers=("alpha",), configs_per_provider=1)
                yield proxy, svc, world
            finally:
                await pool.close()


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


async def test_a_send_through_pgbouncer_is_two_round_trips_when_the_server_holds_the_bounds(
    fault_cluster: pgcluster.Cluster, fault_db: str
) -> None:
    async with _through_pgbouncer(fault_cluster, fault_db, server_bounds=True) as through:
        proxy, svc, world = through
        chat = uuid.uuid4()
        for expected_count in (1, 2):  # a new chat, then the same chat again
            trips, sent = await _send(through, chat)
            assert trips == 2 and sent.chat.message_count == expected_count
        trips, reply = await _counted(proxy, svc.add_assistant_message(
            account_id=world.account_id, agent_id=world.agent_id, chat_id=chat,
            client_message_id=uuid.uuid4(), content="hello"))  # fmt: skip
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
