"""The service's promises that mutation testing found unguarded (`python -m mutation service`).

Each test states one promise of `ChatService`/`AdminService` as a caller relies on it:
every bad argument is refused naming that argument before any SQL is sent; reads go to
the replica unless `fresh`, writes never do.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from chatdb.db.runtime import create_pool, init_connection
from chatdb.errors import InvalidInput, NotFound
from chatdb.service import ChatCursor, ChatService
from codegen import dbutil
from tests.test_service import World, world  # noqa: F401  (the fixture)

# ruff: noqa: F811  (test parameters named after the imported `world` fixture)

NOT_CHECKED = {"fresh"}  # a flag choosing the pool, any truthy value means True


def valid(annotation: str) -> Any:
    """A value each kind of parameter accepts."""
    if annotation.startswith("Id"):
        return uuid.uuid4()
    return {"str": "x", "int": 1, "bool": True}.get(annotation)


def invalid(annotation: str) -> Any:
    """A value each kind of parameter refuses (a string where a UUID is due, and so on)."""
    if annotation.startswith("Id"):
        return "not-a-uuid"
    if annotation.startswith(("int", "bool")):
        return "x"
    return 5


def operations() -> list[tuple[str, str]]:
    """(method, parameter) for every checked parameter of every public operation."""
    cases = []
    for name, method in inspect.getmembers(ChatService, inspect.iscoroutinefunction):
        if not name.startswith("_") and name.isascii():  # not mutmut's `xǁ...` copies
            params = inspect.signature(method).parameters.values()
            cases += [(name, p.name) for p in params if p.kind is p.KEYWORD_ONLY]
    return [(m, p) for m, p in cases if p not in NOT_CHECKED]


@pytest.fixture
async def logged_pool(admin_dsn: str) -> AsyncIterator[tuple[asyncpg.Pool[Any], list[str]]]:
    """A pool that logs every statement sent; on a database without the schema, so a
    statement that slips through also fails."""
    sent: list[str] = []

    async def init(conn: asyncpg.Connection[Any]) -> None:
        await init_connection(conn)
        conn.add_query_logger(lambda record: sent.append(record.query))

    pool: asyncpg.Pool[Any] = await asyncpg.create_pool(
        admin_dsn, init=init, min_size=0, max_size=1
    )
    try:
        yield pool, sent
    finally:
        await pool.close()


def test_every_operation_parameter_is_covered() -> None:
    covered = {m for m, _ in operations()}
    assert {"send_message", "create_model_config", "list_messages", "delete_provider"} <= covered
    assert len(operations()) > 60


@pytest.mark.parametrize(("method", "param"), operations())
async def test_a_bad_argument_is_refused_naming_it_before_any_sql_is_sent(
    logged_pool: tuple[asyncpg.Pool[Any], list[str]], method: str, param: str
) -> None:
    pool, sent = logged_pool
    call = getattr(ChatService(pool), method)
    params = inspect.signature(call).parameters.values()
    args = {p.name: valid(str(p.annotation)) for p in params if p.default is p.empty}
    args[param] = invalid(str(inspect.signature(call).parameters[param].annotation))
    with pytest.raises(InvalidInput) as exc:
        await call(**args)
    assert exc.value.message.startswith(f"{param} "), exc.value.message
    assert sent == []


@pytest.fixture
async def empty_replica(admin_dsn: str, migrated_template: str) -> AsyncIterator[asyncpg.Pool[Any]]:
    """A pool on a migrated database holding none of the primary's rows: a replica so far
    behind that anything read from it is visibly not the primary's."""
    async with dbutil.scratch_database(admin_dsn, prefix="t_", template=migrated_template) as dsn:
        pool = await create_pool(dsn, min_size=1, max_size=2)
        try:
            yield pool
        finally:
            await pool.close()


async def test_reads_use_the_replica_unless_fresh_and_writes_never_do(
    world: World, empty_replica: asyncpg.Pool[Any]
) -> None:
    svc = ChatService(world.pool, replica=empty_replica)
    await svc.create_provider(provider="p", display_name="P")
    await svc.create_model_config(
        provider="p", model="m", display_name="M", context_limit=1, compression_threshold=1
    )
    chat_id = uuid.uuid4()
    sent = await svc.send_message(
        **world.ids(), chat_id=chat_id, client_message_id=uuid.uuid4(), content="hi"
    )  # a write: on the primary, where the account exists
    user = {"user_id": world.user.id, "chat_id": chat_id}

    assert (await svc.get_chat(**user, fresh=True)).id == chat_id
    assert [c.id for c in (await svc.list_chats(user_id=world.user.id, fresh=True)).chats] == [
        chat_id
    ]
    page = await svc.list_messages(**user, fresh=True)
    assert [m.id for m in page.messages] == [sent.message.id]
    assert (await svc.resolve_model_for_turn(**user, fresh=True)).model == "m"

    assert (await svc.list_chats(user_id=world.user.id)).chats == []
    for read in (svc.get_chat, svc.list_messages, svc.resolve_model_for_turn):
        with pytest.raises(NotFound):
            await read(**user)


async def chats_of(world: World, n: int) -> list[uuid.UUID]:
    """`n` chats of the world's user, one message each; newest activity last."""
    await world.svc.create_provider(provider="p", display_name="P")
    await world.config("p", "m", default=True)
    ids = [uuid.uuid4() for _ in range(n)]
    for i, cid in enumerate(ids):
        await world.send(cid, f"chat {i}")
    return ids


async def test_pages_hold_50_chats_and_100_messages_unless_told_otherwise(world: World) -> None:
    ids = await chats_of(world, 51)
    first = await world.svc.list_chats(user_id=world.user.id)
    assert [c.id for c in first.chats] == ids[::-1][:50] and first.next is not None
    for i in range(100):
        await world.send(ids[0], f"message {i}")
    page = await world.svc.list_messages(user_id=world.user.id, chat_id=ids[0])
    assert [m.content for m in page.messages] == ["chat 0", *(f"message {i}" for i in range(99))]
    assert page.next_after_id == page.messages[-1].id


async def test_a_page_that_ends_the_list_has_no_next_cursor(world: World) -> None:
    """The cursor names the last chat shown; a list that ends on a full page says so
    instead of offering an empty page."""
    ids = await chats_of(world, 4)
    one = await world.svc.list_chats(user_id=world.user.id, limit=1)
    assert [c.id for c in one.chats] == [ids[-1]]
    assert one.next == ChatCursor(one.chats[0].last_active, ids[-1])
    three = await world.svc.list_chats(user_id=world.user.id, limit=3)
    assert three.next == ChatCursor(three.chats[-1].last_active, ids[1])
    rest = await world.svc.list_chats(user_id=world.user.id, limit=1, after=three.next)
    assert [c.id for c in rest.chats] == [ids[0]] and rest.next is None
    whole = await world.svc.list_chats(user_id=world.user.id, limit=4)
    assert len(whole.chats) == 4 and whole.next is None
    messages = await world.svc.list_messages(user_id=world.user.id, chat_id=ids[0], limit=1)
    assert len(messages.messages) == 1 and messages.next_after_id is None


async def test_a_cursor_must_come_from_a_previous_page(world: World) -> None:
    with pytest.raises(InvalidInput) as exc:
        await world.svc.list_chats(user_id=world.user.id, after=("2024-01-01", uuid.uuid4()))  # type: ignore[arg-type]
    assert exc.value.message == "after must be a ChatCursor from a previous page."


async def test_a_chat_created_with_a_model_config_uses_it(world: World) -> None:
    await world.svc.create_provider(provider="p", display_name="P")
    await world.config("p", "default", default=True)
    chosen = await world.config("p", "chosen")
    chat = await world.svc.create_chat(**world.ids(), model_config_id=chosen.id)
    assert chat.model_config_id == chosen.id
    resolved = await world.svc.resolve_model_for_turn(user_id=world.user.id, chat_id=chat.id)
    assert resolved.id == chosen.id
