"""A pool behind a transaction-mode pooler that was not told so fails at once, with an
error that names the fix, instead of `InternalError("database error 26000")` on most
calls (asyncpg's cached named statements go missing when each transaction may get
another server connection) or, worse, a statement of another client's under the same
name. Proved through the real PgBouncer the suite starts (tests/test_network.py).

The check is one simple query per new connection (no prepared statement): the server
process answering must be the one whose key the connection was given at start-up, which
a pooler replaces with a key of its own. A direct connection, or one through a plain TCP
proxy, passes it.
"""

from __future__ import annotations

import uuid

import pytest

from chatdb.db import chats as q_chats
from chatdb.db.runtime import PoolerNotConfigured, connect, create_pool
from tests import pgcluster
from tests.reliability_fixtures import open_service
from tests.tcp_proxy import running_proxy
from tests.test_network import dbname, pgbouncer
from tests.world import seed_world

pytest_plugins = ["tests.reliability_fixtures"]


def through(port: int, fault_db: str) -> str:
    return f"postgresql://postgres@127.0.0.1:{port}/{dbname(fault_db)}?sslmode=disable"


async def test_a_pool_not_told_about_pgbouncer_fails_naming_the_fix(
    fault_cluster: pgcluster.Cluster, fault_db: str
) -> None:
    with pgbouncer(fault_cluster, dbname(fault_db), pool_size=2) as port:
        dsn = through(port, fault_db)
        with pytest.raises(PoolerNotConfigured) as err:
            await create_pool(dsn, min_size=1, max_size=4)
        assert "create_pool(..., pgbouncer=True)" in str(err.value)
        with pytest.raises(PoolerNotConfigured):  # a pool opening connections later
            pool = await create_pool(dsn, min_size=0, max_size=4)
            try:
                await q_chats.get_chat_by_id(pool, id=uuid.uuid4(), account_id=uuid.uuid4())
            finally:
                await pool.close()
        with pytest.raises(PoolerNotConfigured):
            await connect(dsn)
        # Told, it works: every call of the service, through the same PgBouncer.
        async with open_service(dsn, pgbouncer=True) as svc:
            world = await seed_world(svc, providers=("alpha",), configs_per_provider=1)
            sent = await svc.send_message(**world.who, chat_id=uuid.uuid4(),
                                          client_message_id=uuid.uuid4(), content="hi")  # fmt: skip
            assert sent.chat.message_count == 1 and not sent.duplicate


async def test_a_direct_connection_and_a_tcp_proxy_pass_the_check(
    fault_cluster: pgcluster.Cluster, fault_db: str
) -> None:
    conn = await connect(fault_db)
    try:
        assert await conn.fetchval("SELECT pg_backend_pid()") == conn.get_server_pid()
    finally:
        await conn.close()
    async with running_proxy("127.0.0.1", fault_cluster.port) as proxy:
        pool = await create_pool(proxy.dsn(dbname(fault_db)), min_size=2, max_size=2)
        await pool.close()
