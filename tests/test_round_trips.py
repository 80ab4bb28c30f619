"""Round trips of the send path, and the pool reset that no longer costs one.

A send used to take 9 round trips (BEGIN, six statements, COMMIT, the pool's reset
query), then 5 (BEGIN, three statements, COMMIT with the reset); now one: a single
statement that is a transaction of its own, under bounds kept as session settings, with
no reset after it. Counted here on the wire: a loopback proxy counts the client's Query,
Sync and Flush messages, the ones the client waits for the answer to — one round trip
each. The reset folded into COMMIT must still clear everything a transaction can leave
on a pooled connection: a session SET, advisory locks, LISTEN, a held cursor, and (for
connections used without the service) an open transaction — and keep the bounds.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import pytest

from chatdb.database import Database
from chatdb.db.runtime import create_pool
from chatdb.errors import InvalidInput
from chatdb.service import ChatService
from chatdb.tx import Conn, RetryPolicy, Timeouts, run_in_transaction
from tests.tcp_proxy import Proxy, running_proxy
from tests.world import seed_world

SEND_ROUND_TRIPS = 1  # the whole send: one statement, nothing before or after it


@asynccontextmanager
async def _proxied(dsn: str) -> AsyncIterator[tuple[Proxy, str]]:
    url = urlsplit(dsn)
    async with running_proxy(url.hostname or "127.0.0.1", url.port or 5432) as proxy:
        yield proxy, proxy.dsn(url.path.lstrip("/"))


async def _counted(proxy: Proxy, call: Any) -> int:
    before = proxy.round_trips
    await call
    return proxy.round_trips - before


async def test_send_message_takes_one_round_trip(migrated_db: str) -> None:
    async with _proxied(migrated_db) as (proxy, dsn):
        pool = await create_pool(dsn, min_size=1, max_size=1)
        try:
            svc = ChatService(Database(pool))
            world = await seed_world(svc, providers=("alpha",), configs_per_provider=1)
            chat = uuid.uuid4()

            def send(chat_id: uuid.UUID) -> Any:
                return svc.send_message(
                    **world.who, chat_id=chat_id, client_message_id=uuid.uuid4(), content="hi"
                )

            # The connection's first send prepares the statement and sets the bounds it
            # keeps: once per connection, not counted.
            await send(uuid.uuid4())
            first = await _counted(proxy, send(chat))  # creates the chat
            second = await _counted(proxy, send(chat))
            # Another operation in between resets the session in its COMMIT's round trip
            # and sets the kept bounds again there: the next send still takes one.
            await svc.get_chat(account_id=world.account_id, user_id=world.user_id, chat_id=chat)
            third = await _counted(proxy, send(chat))
            sent = await send(chat)
        finally:
            await pool.close()
    assert (first, second, third) == (SEND_ROUND_TRIPS,) * 3
    assert sent.chat.message_count == 4 and not sent.duplicate


async def test_the_other_chat_writes_take_their_new_counts(migrated_db: str) -> None:
    """add_assistant_message: one statement, one round trip (was 5). delete_chat: BEGIN,
    the locked tombstone write (pinned by the account it is given), the messages' delete
    (a later statement: its snapshot must follow the lock), COMMIT with the reset: 4."""
    async with _proxied(migrated_db) as (proxy, dsn):
        pool = await create_pool(dsn, min_size=1, max_size=1)
        try:
            svc = ChatService(Database(pool))
            world = await seed_world(svc, providers=("alpha",), configs_per_provider=1)
            chat, spare = uuid.uuid4(), uuid.uuid4()
            for chat_id in (chat, spare):
                await svc.send_message(**world.who, chat_id=chat_id,
                                       client_message_id=uuid.uuid4(), content="hi")  # fmt: skip

            def reply() -> Any:
                return svc.add_assistant_message(
                    account_id=world.account_id, agent_id=world.agent_id, chat_id=chat,
                    client_message_id=uuid.uuid4(), content="hello",
                )  # fmt: skip

            # Each operation's first call prepares its statements: once per connection.
            await reply()
            assistant = await _counted(proxy, reply())
            await svc.delete_chat(account_id=world.account_id, user_id=world.user_id, chat_id=spare)
            deleted = await _counted(
                proxy,
                svc.delete_chat(account_id=world.account_id, user_id=world.user_id, chat_id=chat),
            )
        finally:
            await pool.close()
    assert (assistant, deleted) == (1, 4)


async def test_the_bounds_a_send_keeps_survive_the_reset_and_nothing_else_does(
    migrated_db: str,
) -> None:
    pool = await create_pool(migrated_db, min_size=1, max_size=1)
    try:
        svc = ChatService(Database(pool, timeouts=Timeouts(statement=7, lock=3)))
        world = await seed_world(svc, providers=("alpha",), configs_per_provider=1)
        await svc.send_message(**world.who, chat_id=uuid.uuid4(), client_message_id=uuid.uuid4(),
                               content="hi")  # fmt: skip
        await run_in_transaction(pool, _stateful_work(), RetryPolicy(attempts=1))
        async with pool.acquire() as conn:
            after = await _session_state(conn)
            bounds = (await conn.fetchval("SHOW statement_timeout"),
                      await conn.fetchval("SHOW lock_timeout"))  # fmt: skip
    finally:
        await pool.close()
    assert bounds == ("7s", "3s") == Timeouts(statement=7, lock=3).shown()
    assert after["work_mem"] != "7MB" and after["advisory locks"] == after["listening"] == 0


def _stateful_work(leave_open: bool = False, fail: bool = False) -> Any:
    async def work(conn: Conn) -> None:
        await conn.execute("SET work_mem = '7MB'")  # session level: outlives the transaction
        await conn.execute("SELECT pg_advisory_lock(4242)")
        await conn.execute("LISTEN chatdb_reset_test")
        await conn.execute("DECLARE held CURSOR WITH HOLD FOR SELECT 1")
        if fail:
            raise InvalidInput("the work failed after leaving state behind")

    return work


async def _session_state(conn: asyncpg.pool.PoolConnectionProxy[Any]) -> dict[str, Any]:
    return {
        "in transaction": conn.is_in_transaction(),
        "work_mem": await conn.fetchval("SHOW work_mem"),
        "advisory locks": await conn.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
        ),
        "listening": await conn.fetchval("SELECT count(*) FROM pg_listening_channels()"),
        "cursors": await conn.fetchval("SELECT count(*) FROM pg_cursors"),
    }


@pytest.mark.parametrize("how", ["committed", "failed", "without the service"])
async def test_state_left_on_a_connection_is_cleared_before_its_next_use(
    migrated_db: str, how: str
) -> None:
    pool = await create_pool(migrated_db, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            clean = await _session_state(conn)
            pid = conn.get_server_pid()
        if how == "without the service":  # an open transaction, left as it is
            async with pool.acquire() as conn:
                await conn.execute("BEGIN")
                await _stateful_work()(conn)
        else:
            with pytest.raises(InvalidInput) if how == "failed" else contextlib.nullcontext():
                await run_in_transaction(
                    pool, _stateful_work(fail=how == "failed"), RetryPolicy(attempts=1)
                )
        async with pool.acquire() as conn:
            assert conn.get_server_pid() == pid  # the same server session
            after = await _session_state(conn)
    finally:
        await pool.close()
    assert clean["work_mem"] != "7MB"
    assert after == clean
