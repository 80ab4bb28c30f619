"""`Timeouts`: every bound it accepts is applied as given, and it refuses what it could
not apply. The server's own limits (the maximum of statement_timeout and lock_timeout)
come from the server, never from a copy in the test.
"""

from __future__ import annotations

import asyncio
import functools
import math
import time
import uuid
from collections.abc import Awaitable
from typing import Any, TypeVar

import pytest

from chatdb.db.runtime import create_pool
from chatdb.errors import OutcomeUnknown, TransientError
from chatdb.tx import Conn, RetryPolicy, Timeouts, run_in_transaction
from tests import pgcluster
from tests.reliability_fixtures import connect, open_service
from tests.tcp_proxy import Proxy
from tests.test_network import count, dbname, pgbouncer, proxy  # noqa: F401  (the fixture)
from tests.world import seed_world

# ruff: noqa: F811  (test parameters named after the imported `proxy` fixture)

pytest_plugins = ["tests.reliability_fixtures"]
T = TypeVar("T")

FIELDS = ("acquire", "statement", "lock", "network")


async def server_max_seconds(dsn: str) -> float:
    """The largest statement_timeout/lock_timeout the server takes, in seconds."""
    pool = await create_pool(dsn, min_size=1, max_size=1)
    try:
        rows = await pool.fetch(
            "SELECT name, max_val::bigint AS ms FROM pg_settings "
            "WHERE name IN ('statement_timeout', 'lock_timeout')"
        )
    finally:
        await pool.close()
    [ms] = {r["ms"] for r in rows}
    return float(ms) / 1000


async def test_the_largest_bound_the_server_takes_is_accepted_and_beyond_it_refused(
    migrated_db: str,
) -> None:
    top = await server_max_seconds(migrated_db)
    assert top == Timeouts.MAX_SECONDS
    limits = Timeouts(statement=top, lock=top)
    pool = await create_pool(migrated_db, min_size=1, max_size=1)
    try:

        async def show(conn: Conn) -> tuple[str, str]:
            return (
                await conn.fetchval("SHOW statement_timeout"),
                await conn.fetchval("SHOW lock_timeout"),
            )

        got = await run_in_transaction(pool, show, RetryPolicy(), timeouts=limits)
    finally:
        await pool.close()
    assert got[0] == got[1] and got[0] != "0"  # applied, not refused as InvalidInput
    for name in ("statement", "lock"):
        with pytest.raises(ValueError) as exc:
            Timeouts(**{name: top + 1}, to_workers=False)
        assert str(exc.value).startswith(f"Timeouts.{name} must be ")
        assert f"at most {top} " in str(exc.value)


def test_a_positive_bound_never_rounds_to_no_bound() -> None:
    sql = Timeouts(statement=0.0004, lock=0.0001).begin_sql(readonly=False)
    assert sql.endswith("SET LOCAL statement_timeout = 1;SET LOCAL lock_timeout = 1")
    off = Timeouts(statement=0, lock=0).begin_sql(readonly=False)  # 0: no bound, as asked
    assert off.endswith("SET LOCAL statement_timeout = 0;SET LOCAL lock_timeout = 0")


@pytest.mark.parametrize("name", FIELDS)
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, -1, "5", True, None])
def test_a_bound_that_is_not_a_usable_number_is_refused_naming_it(name: str, value: Any) -> None:
    with pytest.raises(ValueError) as exc:
        Timeouts(**{name: value})
    assert str(exc.value).startswith(f"Timeouts.{name} must be "), str(exc.value)
    assert repr(value) in str(exc.value)


# --------------------------------------------------------------------------- a silent network

SILENT = Timeouts(acquire=1, statement=1, lock=1, network=0.5)
DEADLINE = 1.5  # statement + network


async def within(seconds: float, call: Awaitable[T]) -> tuple[T | BaseException, float]:
    """`call`'s result or exception and how long it took; a hang fails the test."""
    began = time.monotonic()
    try:
        result: T | BaseException = await asyncio.wait_for(call, seconds)
    except TimeoutError:
        pytest.fail(f"still waiting after {seconds} s")
    except Exception as exc:
        result = exc
    return result, time.monotonic() - began


async def _settled(dsn: str, chat_id: uuid.UUID) -> int:
    """The chat's stored messages once no other session of the database is running a
    statement (a statement the frozen network delivered late has ended)."""
    busy = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND pid <> pg_backend_pid() AND state <> 'idle'"
    )
    for _ in range(100):
        if await count(dsn, busy) == 0:
            break
        await asyncio.sleep(0.05)
    return await count(dsn, "SELECT count(*) FROM chat_messages WHERE chat_id = $1", chat_id)


async def test_a_silent_network_is_abandoned_at_the_client_deadline(
    fault_db: str, proxy: Proxy
) -> None:
    assert SILENT.deadline == DEADLINE
    async with open_service(proxy.dsn(dbname(fault_db)), max_size=2, timeouts=SILENT) as svc:
        world = await seed_world(svc, providers=("alpha",), configs_per_provider=1)
        chat_id, mid = uuid.uuid4(), uuid.uuid4()
        send = functools.partial(svc.send_message, **world.who, chat_id=chat_id)
        await send(client_message_id=uuid.uuid4(), content="first")
        read = functools.partial(
            svc.get_chat, account_id=world.account_id, user_id=world.user_id, chat_id=chat_id
        )

        proxy.freeze()  # a read: nothing answers, not even its BEGIN
        error, took = await within(10, read())
        assert isinstance(error, TransientError), error
        assert error.message == "no answer from the database in time; nothing was saved"
        assert took < DEADLINE + 1  # abandoned once, not retried
        proxy.thaw()

        proxy.commits_to_freeze = 1  # a send: its COMMIT reaches the server, no answer back
        unknown, took = await within(10, send(client_message_id=mid, content="second"))
        assert isinstance(unknown, OutcomeUnknown), unknown
        assert unknown.message == (
            "no answer from the database to COMMIT in time; the change may or may not have"
            " been saved. Retry the request."
        )
        assert unknown.__cause__ is not None  # the driver's error, kept for the log
        assert took < DEADLINE + 1
        proxy.thaw()
        again = await send(client_message_id=mid, content="second")
        assert again.duplicate and again.chat.message_count == 2

        proxy.freeze()  # a caller giving up: cancelling finishes at once
        third = uuid.uuid4()
        task = asyncio.ensure_future(send(client_message_id=third, content="third"))
        await asyncio.sleep(0.2)
        task.cancel()
        _, took = await within(5, asyncio.gather(task, return_exceptions=True))
        assert took < 1, took
        proxy.thaw()
        # No connection is held by the abandoned calls: twice the pool's size works.
        chats = await asyncio.gather(*(read() for _ in range(4)))
        # The cancelled send was one statement already on its way (held by the frozen
        # network, delivered after): it may have been stored, and then counted, once —
        # possibly after some of those reads.
        stored = await _settled(fault_db, chat_id)
        assert stored in (2, 3) and {c.message_count for c in chats} <= {2, stored}
        assert (await read()).message_count == stored
        if stored == 3:  # its repeat reports it
            assert (await send(client_message_id=third, content="third")).duplicate


async def test_a_read_queued_in_a_busy_pgbouncer_gives_up_at_the_deadline(
    fault_cluster: pgcluster.Cluster, fault_db: str
) -> None:
    """PgBouncer queues a client while its server connections are busy (up to its
    query_wait_timeout, 120 s by default): the client's deadline ends the wait, once."""
    async with open_service(fault_db) as admin:
        world = await seed_world(admin, providers=("alpha",), configs_per_provider=1)
    with pgbouncer(fault_cluster, dbname(fault_db), pool_size=1) as port:
        dsn = f"postgresql://postgres@127.0.0.1:{port}/{dbname(fault_db)}?sslmode=disable"
        # The pool first (its connection's set-up reads the server: the pgvector codecs'
        # types), then the one server connection taken, then the read.
        async with (
            open_service(dsn, pgbouncer=True, timeouts=SILENT) as svc,
            connect(dsn) as busy,
        ):
            await busy.execute("BEGIN; SELECT 1")  # holds the one server connection
            error, took = await within(
                30,
                svc.get_chat(
                    account_id=world.account_id, user_id=world.user_id, chat_id=uuid.uuid4()
                ),
            )
            await busy.execute("ROLLBACK")
    assert isinstance(error, TransientError), error
    assert took < DEADLINE + 1, took


async def test_the_server_ends_a_transaction_its_client_abandoned(
    fault_db: str, proxy: Proxy
) -> None:
    """The network went silent mid-transaction: the client gave up at its deadline, but
    its goodbye is lost too. The server ends the transaction itself (idle in
    transaction for longer than the deadline), so its row locks do not outlive it."""
    async with open_service(fault_db) as admin:
        await seed_world(admin, providers=("alpha",), configs_per_provider=1)
    pool = await create_pool(proxy.dsn(dbname(fault_db)), min_size=1, max_size=1)
    try:

        async def lock_then_stall(conn: Conn) -> None:
            await conn.execute("SELECT 1 FROM chat_providers WHERE provider = 'alpha' FOR UPDATE")
            proxy.freeze()
            await conn.execute("SELECT 1")

        error, _ = await within(
            10, run_in_transaction(pool, lock_then_stall, RetryPolicy(), timeouts=SILENT)
        )
        assert isinstance(error, TransientError), error
        async with connect(fault_db) as direct:  # not through the frozen proxy
            began = time.monotonic()
            await direct.execute("SET lock_timeout = '5s'")
            await direct.execute(
                "BEGIN; SELECT 1 FROM chat_providers WHERE provider = 'alpha' FOR UPDATE; COMMIT"
            )
            assert time.monotonic() - began < DEADLINE + 1  # the lock went with it
    finally:
        proxy.thaw()
        pool.terminate()
