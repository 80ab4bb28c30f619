"""The one-statement send, interrupted at every point of its path, on the session's own
cluster: whatever stops it, nothing partial is left, the caller gets a typed error (or,
where the service can resolve the doubt itself, the stored result), and a repeat with the
same client_message_id stores the message exactly once, counted once.

The points, in the order a send passes them, for a new chat and for an existing one:

* waiting for its chat's row lock, before it wrote anything (existing chat; a first
  message waits instead on the other transaction creating the same chat id);
* after it wrote the chat and the message, waiting for the model config's key-share lock
  (the foreign-key check at the statement's end);
* after the server committed, the answer lost on the way back (a proxy swallows it):
  repeated in place, the call reports the stored message; lost on every attempt, the
  call is OutcomeUnknown and a later repeat reports the stored message.

The backend is terminated (pg_terminate_backend) while it waits; the point is reached
by holding the lock it needs in an outside transaction, never by matching its SQL text.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any, cast

import asyncpg
import pytest

from chatdb.db.runtime import Connection
from chatdb.errors import OutcomeUnknown, TransientError
from chatdb.service import ChatService
from chatdb.tx import RetryPolicy, Timeouts
from tests.reliability_fixtures import (
    FAST_RETRY,
    assert_invariants,
    connect,
    fingerprint,
    open_service,
    wait_until_blocked_by,
)
from tests.tcp_proxy import running_proxy
from tests.test_network import dbname
from tests.world import World, seed_world

pytest_plugins = ["tests.reliability_fixtures"]
CHATS = ["new chat", "existing chat"]


@contextlib.asynccontextmanager
async def holding(dsn: str, sql: str, *args: object) -> AsyncIterator[int]:
    """An outside transaction that ran `sql` (taking the lock a send needs); yields its pid
    and rolls back afterwards."""
    async with connect(dsn) as conn:
        tx = conn.transaction()
        await tx.start()
        try:
            await conn.execute(sql, *args)
            yield conn.get_server_pid()
        finally:
            await tx.rollback()


async def kill_the_one_blocked(admin: asyncpg.Connection[Any], blocker_pid: int) -> bool:
    """Terminate the backend waiting for `blocker_pid`'s lock, once it waits; then wait
    until the service's repeat of it waits there too. True if the victim had written."""
    victim = await wait_until_blocked_by(admin, blocker_pid)
    assert await admin.fetchval("SELECT pg_terminate_backend($1::int)", victim["pid"])
    while (await wait_until_blocked_by(admin, blocker_pid))["pid"] == victim["pid"]:
        await asyncio.sleep(0.01)
    return victim["xid"] is not None


async def stored(dsn: str, chat_id: uuid.UUID) -> tuple[list[str], int | None]:
    """The chat's messages' contents in order, and its counter (None: no chat)."""
    async with connect(dsn) as conn:
        rows = await conn.fetch(
            "SELECT content FROM chat_messages WHERE chat_id = $1 ORDER BY id", chat_id
        )
        count = await conn.fetchval("SELECT message_count FROM chats WHERE id = $1", chat_id)
    return [r["content"] for r in rows], count


async def prepared(svc: ChatService, world: World, which: str) -> tuple[uuid.UUID, list[str]]:
    """A chat id to send to and the contents stored in it before (an existing chat has
    one message); the connection has sent once, so the statement is prepared."""
    chat_id = uuid.uuid4()
    await svc.send_message(**world.who, chat_id=uuid.uuid4(), client_message_id=uuid.uuid4(),
                           content="warm-up")  # fmt: skip
    if which == "new chat":
        return chat_id, []
    await svc.send_message(**world.who, chat_id=chat_id, client_message_id=uuid.uuid4(),
                           content="before")  # fmt: skip
    return chat_id, ["before"]


def lock_before_writing(which: str, world: World, chat_id: uuid.UUID) -> tuple[str, list[Any]]:
    """The lock a send takes before it writes: its chat's row, or for a first message the
    chat id another transaction is creating."""
    if which == "existing chat":
        return "SELECT 1 FROM chats WHERE id = $1 AND account_id = $2 FOR UPDATE", [
            chat_id,
            world.account_id,
        ]
    return (
        "INSERT INTO chats (id, account_id, user_id, agent_id, title) VALUES ($1, $2, $3, $4, 'x')",
        [chat_id, world.account_id, world.user_id, world.agent_id],
    )


def lock_for(point: str, which: str, world: World, chat_id: uuid.UUID, default: uuid.UUID) -> Any:
    if point == "before writing":
        return lock_before_writing(which, world, chat_id)
    # after: the message's foreign-key check waits for the config's key-share lock
    return "SELECT 1 FROM chat_model_configs WHERE id = $1 FOR UPDATE", [default]


@pytest.mark.parametrize("which", CHATS)
@pytest.mark.parametrize("point", ["before writing", "after writing"])
async def test_a_send_killed_while_it_waits_leaves_nothing_and_is_repeated_in_place(
    fault_db: str, which: str, point: str
) -> None:
    async with open_service(fault_db, max_size=2) as svc, connect(fault_db) as other:
        world = await seed_world(svc, providers=("alpha",), configs_per_provider=1)
        chat_id, before = await prepared(svc, world, which)
        default = await other.fetchval("SELECT id FROM chat_model_configs WHERE is_default")
        snapshot = await fingerprint(other)
        msg: dict[str, Any] = dict(**world.who, chat_id=chat_id, client_message_id=uuid.uuid4(),
                                   content="kill me")  # fmt: skip
        sql, args = lock_for(point, which, world, chat_id, default)
        async with holding(fault_db, sql, *args) as blocker:
            call = asyncio.ensure_future(svc.send_message(**msg))
            wrote = await kill_the_one_blocked(other, blocker)
            assert wrote is (point == "after writing")
            assert await fingerprint(other) == snapshot  # nothing of the killed one is left
        sent = await asyncio.wait_for(call, timeout=10)  # the repeat, once the lock is free
        assert not sent.duplicate and sent.created_chat is (which == "new chat")
        again = await svc.send_message(**msg)
        assert again.duplicate and again.message == sent.message
    assert await stored(fault_db, chat_id) == ([*before, "kill me"], len(before) + 1)
    await assert_invariants(fault_db)


@pytest.mark.parametrize("which", CHATS)
async def test_a_send_killed_with_no_attempt_left_is_outcome_unknown_and_safe_to_repeat(
    fault_db: str, which: str
) -> None:
    once = RetryPolicy(attempts=1)
    async with open_service(fault_db, retry=once) as svc, connect(fault_db) as other:
        world = await seed_world(svc, providers=("alpha",), configs_per_provider=1)
        chat_id, before = await prepared(svc, world, which)
        default = await other.fetchval("SELECT id FROM chat_model_configs WHERE is_default")
        snapshot = await fingerprint(other)
        msg: dict[str, Any] = dict(**world.who, chat_id=chat_id, client_message_id=uuid.uuid4(),
                                   content="kill me")  # fmt: skip
        sql, args = lock_for("after writing", which, world, chat_id, default)
        async with holding(fault_db, sql, *args) as pid:
            call = asyncio.ensure_future(svc.send_message(**msg))
            victim = await wait_until_blocked_by(other, pid)
            assert await other.fetchval("SELECT pg_terminate_backend($1::int)", victim["pid"])
            with pytest.raises(OutcomeUnknown) as err:
                await asyncio.wait_for(call, timeout=10)
        assert err.value.retryable and await fingerprint(other) == snapshot
        sent = await svc.send_message(**msg)
        assert not sent.duplicate and sent.created_chat is (which == "new chat")
    assert await stored(fault_db, chat_id) == ([*before, "kill me"], len(before) + 1)


@pytest.mark.parametrize("which", CHATS)
async def test_a_send_whose_answer_is_lost_is_repeated_in_place(
    fault_cluster: Any, fault_db: str, which: str
) -> None:
    async with (
        running_proxy("127.0.0.1", fault_cluster.port) as proxy,
        open_service(proxy.dsn(dbname(fault_db)), max_size=1) as svc,
    ):
        world = await seed_world(svc, providers=("alpha",), configs_per_provider=1)
        chat_id, before = await prepared(svc, world, which)
        msg: dict[str, Any] = dict(**world.who, chat_id=chat_id,
                                       client_message_id=uuid.uuid4(), content="lost")  # fmt: skip
        connections = proxy.connections
        proxy.commits_to_drop = 1
        sent = await svc.send_message(**msg)
        assert proxy.dropped == 1 and proxy.connections == connections + 1
        # The repeat found what the lost attempt stored; the caller is told so.
        assert sent.duplicate and sent.created_chat is (which == "new chat")
        assert sent.chat.message_count == len(before) + 1
    assert await stored(fault_db, chat_id) == ([*before, "lost"], len(before) + 1)
    await assert_invariants(fault_db)


async def test_a_send_whose_answer_is_lost_on_every_attempt_is_outcome_unknown(
    fault_cluster: Any, fault_db: str
) -> None:
    async with (
        running_proxy("127.0.0.1", fault_cluster.port) as proxy,
        open_service(proxy.dsn(dbname(fault_db)), max_size=1) as svc,
    ):
        world = await seed_world(svc, providers=("alpha",), configs_per_provider=1)
        chat_id, _ = await prepared(svc, world, "new chat")
        msg: dict[str, Any] = dict(**world.who, chat_id=chat_id,
                                       client_message_id=uuid.uuid4(), content="lost")  # fmt: skip
        proxy.commits_to_drop = FAST_RETRY.attempts
        with pytest.raises(OutcomeUnknown) as err:
            await svc.send_message(**msg)
        assert err.value.retryable and proxy.dropped == FAST_RETRY.attempts
        again = await svc.send_message(**msg)
        assert again.duplicate and again.created_chat
    assert await stored(fault_db, chat_id) == (["lost"], 1)
    await assert_invariants(fault_db)


async def test_a_send_on_a_connection_whose_backend_died_idle_succeeds(fault_db: str) -> None:
    """A pooled connection killed while idle (a restart, a DBA) is found dead by the
    send's one statement: nothing was written, the send is tried again on a new one."""
    async with open_service(fault_db, max_size=1) as svc, connect(fault_db) as other:
        world = await seed_world(svc, providers=("alpha",), configs_per_provider=1)
        chat_id, _ = await prepared(svc, world, "existing chat")
        pid = await svc.db.pool.fetchval("SELECT pg_backend_pid()")
        assert await other.fetchval("SELECT pg_terminate_backend($1::int)", pid)
        sent = await svc.send_message(**world.who, chat_id=chat_id,
                                      client_message_id=uuid.uuid4(), content="after")  # fmt: skip
        assert not sent.duplicate and sent.chat.message_count == 2
    assert await stored(fault_db, chat_id) == (["before", "after"], 2)


async def test_a_send_keeps_its_lock_bound_when_the_session_lost_it(fault_db: str) -> None:
    """The bounds kept on a connection undone behind the service's back (a session SET,
    the connection then vouched unchanged so no reset restores them): the statement sees
    it and writes nothing, and the send runs as a transaction with SET LOCAL bounds, so a
    held lock still ends it after `lock`, not never."""
    timeouts = Timeouts(lock=0.2)
    async with open_service(fault_db, max_size=1, timeouts=timeouts) as svc:
        world = await seed_world(svc, providers=("alpha",), configs_per_provider=1)
        chat_id, _ = await prepared(svc, world, "existing chat")
        async with svc.db.pool.acquire() as conn:
            await conn.execute("SET lock_timeout = 0")  # no bound
            cast(Connection, conn).unchanged_session()  # a false vouch: no reset
        msg: dict[str, Any] = dict(**world.who, chat_id=chat_id, client_message_id=uuid.uuid4(),
                                   content="bounded")  # fmt: skip
        chat_row = "SELECT 1 FROM chats WHERE id = $1 AND account_id = $2 FOR UPDATE"
        async with holding(fault_db, chat_row, chat_id, world.account_id):
            began = time.monotonic()
            with pytest.raises(TransientError):
                await asyncio.wait_for(svc.send_message(**msg), timeout=10)
            assert time.monotonic() - began < 3
        sent = await svc.send_message(**msg)
        assert not sent.duplicate and sent.chat.message_count == 2
        async with svc.db.pool.acquire() as conn:
            assert await conn.fetchval("SHOW lock_timeout") == timeouts.shown()[1]
