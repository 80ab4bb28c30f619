"""The service's promises that mutation testing found unguarded (`python -m mutation service`).

Each test states one promise of `ChatService`/`AdminService` as a caller relies on it:
every bad argument is refused naming that argument before any SQL is sent; reads go to
the replica unless `fresh`, writes never do.
"""

from __future__ import annotations

import asyncio
import inspect
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from chatdb.admin import AdminService
from chatdb.database import Database
from chatdb.db.runtime import create_pool, init_connection
from chatdb.errors import Conflict, InvalidInput, NoDefaultModelConfig, NotFound
from chatdb.semantic import EMBEDDING_DIMS, SearchService
from chatdb.service import ChatCursor, ChatDeleted, ChatService
from chatdb.validate import CONTENT_MAX, NAME_MAX
from codegen import dbutil
from tests.test_service import _wait_for_lock_wait
from tests.world import World, world  # noqa: F401  (the fixture)

# ruff: noqa: F811  (test parameters named after the imported `world` fixture)

NOT_CHECKED = {"fresh"}  # a flag choosing the pool, any truthy value means True


def valid(annotation: str) -> Any:
    """A value each kind of parameter accepts."""
    if annotation.startswith("Id"):
        return uuid.uuid4()
    if annotation.startswith("Sequence[float]"):  # an embedding (SearchService)
        return [1.0] * EMBEDDING_DIMS
    return {"str": "x", "int": 1, "bool": True}.get(annotation)


def invalid(annotation: str) -> Any:
    """A value each kind of parameter refuses (a string where a UUID is due, and so on)."""
    if annotation.startswith("Id"):
        return "not-a-uuid"
    if annotation.startswith(("int", "bool")):
        return "x"
    return 5


SERVICES = (ChatService, AdminService, SearchService)


def service_of(method: str) -> type[ChatService | AdminService | SearchService]:
    return next(cls for cls in SERVICES if hasattr(cls, method))


def operations() -> list[tuple[str, str]]:
    """(method, parameter) for every checked parameter of every public operation."""
    cases = []
    for name, method in (
        m for cls in SERVICES for m in inspect.getmembers(cls, inspect.iscoroutinefunction)
    ):
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
    call = getattr(service_of(method)(Database(pool)), method)
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
    svc = ChatService(Database(world.pool, replica=empty_replica))
    await AdminService(svc.db).create_provider(provider="p", display_name="P")
    await AdminService(svc.db).create_model_config(
        provider="p", model="m", display_name="M", context_limit=1, compression_threshold=1
    )
    chat_id = uuid.uuid4()
    sent = await svc.send_message(
        **world.who, chat_id=chat_id, client_message_id=uuid.uuid4(), content="hi"
    )  # a write: on the primary, where the account exists
    user: dict[str, Any] = {
        "account_id": world.account.id,
        "user_id": world.user.id,
        "chat_id": chat_id,
    }

    assert (await svc.get_chat(**user, fresh=True)).id == chat_id
    assert [
        c.id
        for c in (
            await svc.list_chats(account_id=world.account.id, user_id=world.user.id, fresh=True)
        ).chats
    ] == [chat_id]
    page = await svc.list_messages(**user, fresh=True)
    assert [m.id for m in page.messages] == [sent.message.id]
    assert (await svc.resolve_model_for_turn(**user, fresh=True)).model == "m"

    assert (await svc.list_chats(account_id=world.account.id, user_id=world.user.id)).chats == []
    for read in (svc.get_chat, svc.list_messages, svc.resolve_model_for_turn):
        with pytest.raises(NotFound):
            await read(**user)


async def chats_of(world: World, n: int) -> list[uuid.UUID]:
    """`n` chats of the world's user, one message each; newest activity last."""
    await AdminService(world.svc.db).create_provider(provider="p", display_name="P")
    await world.config("p", "m", default=True)
    ids = [uuid.uuid4() for _ in range(n)]
    for i, cid in enumerate(ids):
        await world.send(cid, f"chat {i}")
    return ids


async def test_pages_hold_50_chats_and_100_messages_unless_told_otherwise(world: World) -> None:
    ids = await chats_of(world, 51)
    first = await world.svc.list_chats(account_id=world.account.id, user_id=world.user.id)
    assert [c.id for c in first.chats] == ids[::-1][:50] and first.next is not None
    for i in range(100):
        await world.send(ids[0], f"message {i}")
    page = await world.svc.list_messages(
        account_id=world.account.id, user_id=world.user.id, chat_id=ids[0]
    )
    assert [m.content for m in page.messages] == ["chat 0", *(f"message {i}" for i in range(99))]
    assert page.next_after_id == page.messages[-1].id


async def test_a_page_that_ends_the_list_has_no_next_cursor(world: World) -> None:
    """The cursor names the last chat shown; a list that ends on a full page says so
    instead of offering an empty page."""
    ids = await chats_of(world, 4)
    one = await world.svc.list_chats(account_id=world.account.id, user_id=world.user.id, limit=1)
    assert [c.id for c in one.chats] == [ids[-1]]
    assert one.next == ChatCursor(one.chats[0].last_active, ids[-1])
    three = await world.svc.list_chats(account_id=world.account.id, user_id=world.user.id, limit=3)
    assert three.next == ChatCursor(three.chats[-1].last_active, ids[1])
    rest = await world.svc.list_chats(
        account_id=world.account.id, user_id=world.user.id, limit=1, after=three.next
    )
    assert [c.id for c in rest.chats] == [ids[0]] and rest.next is None
    whole = await world.svc.list_chats(account_id=world.account.id, user_id=world.user.id, limit=4)
    assert len(whole.chats) == 4 and whole.next is None
    messages = await world.svc.list_messages(
        account_id=world.account.id, user_id=world.user.id, chat_id=ids[0], limit=1
    )
    assert len(messages.messages) == 1 and messages.next_after_id is None


async def test_a_cursor_must_come_from_a_previous_page(world: World) -> None:
    with pytest.raises(InvalidInput) as exc:
        await world.svc.list_chats(
            account_id=world.account.id,
            user_id=world.user.id,
            after=("2024-01-01", uuid.uuid4()),  # type: ignore[arg-type]
        )
    assert exc.value.message == "after must be a ChatCursor from a previous page."


async def test_a_chat_created_with_a_model_config_uses_it(world: World) -> None:
    await AdminService(world.svc.db).create_provider(provider="p", display_name="P")
    await world.config("p", "default", default=True)
    chosen = await world.config("p", "chosen")
    chat = await world.svc.create_chat(**world.who, model_config_id=chosen.id)
    assert chat.model_config_id == chosen.id
    resolved = await world.svc.resolve_model_for_turn(
        account_id=world.account.id, user_id=world.user.id, chat_id=chat.id
    )
    assert resolved.id == chosen.id


async def test_a_retry_of_a_stored_message_succeeds_after_every_config_is_gone(
    world: World,
) -> None:
    await chats_of(world, 0)
    chat_id, mid = uuid.uuid4(), uuid.uuid4()
    first = await world.send(chat_id, "hello", mid)
    for config in await AdminService(world.svc.db).list_model_configs():
        await AdminService(world.svc.db).delete_model_config(id=config.id)
    retry = await world.send(chat_id, "hello", mid)
    assert retry.message == first.message and retry.chat.id == chat_id
    assert retry.duplicate is True and retry.created_chat is True  # as the first attempt did
    with pytest.raises(NoDefaultModelConfig):
        await world.send(chat_id, "a new message")
    with pytest.raises(NoDefaultModelConfig):
        await assistant(world, chat_id)


async def assistant(world: World, chat_id: uuid.UUID, **kw: Any) -> Any:
    return await world.svc.add_assistant_message(
        account_id=world.account.id,
        agent_id=world.agent.id,
        chat_id=chat_id,
        client_message_id=kw.pop("client_message_id", uuid.uuid4()),
        content="answer",
        **kw,
    )


async def test_sent_messages_say_whether_they_created_the_chat_or_repeated_one(
    world: World,
) -> None:
    [chat_id] = await chats_of(world, 1)
    mid = uuid.uuid4()
    new = await world.send(chat_id, "second", mid)
    assert (new.created_chat, new.duplicate) == (False, False)
    again = await world.send(chat_id, "second", mid)
    assert (again.created_chat, again.duplicate) == (False, True)
    answer = await assistant(world, chat_id)
    assert (answer.created_chat, answer.duplicate) == (False, False)


async def test_an_assistant_turn_uses_the_chat_s_own_config_and_stores_every_field(
    world: World,
) -> None:
    [chat_id] = await chats_of(world, 1)
    own = await world.config("p", "own")
    await world.svc.set_chat_model(
        account_id=world.account.id, user_id=world.user.id, chat_id=chat_id, model_config_id=own.id
    )
    fields = {
        "role": "system",
        "action": "QUERY",
        "dax_attempts": ["EVALUATE x"],
        "final_dax": "EVALUATE y",
        "resolution_note": "n" * CONTENT_MAX,
        "error": "e" * CONTENT_MAX,
    }
    sent = await assistant(world, chat_id, **fields)
    assert sent.message.model_config_id == own.id
    assert {k: getattr(sent.message, k) for k in fields} == fields
    for field in ("final_dax", "resolution_note", "error"):
        with pytest.raises(InvalidInput) as exc:
            await assistant(world, chat_id, **{field: "x" * (CONTENT_MAX + 1)})
        assert exc.value.message == f"{field} is longer than {CONTENT_MAX} characters."


async def test_a_first_message_racing_another_for_the_same_new_chat_joins_it(
    world: World, migrated_db: str
) -> None:
    """The other first message's transaction created the chat and has not committed: the
    send waits for it, then stores its message in that chat (created_chat False)."""
    await AdminService(world.svc.db).create_provider(provider="p", display_name="P")
    await world.config("p", "m", default=True)
    chat_id = uuid.uuid4()
    other = await asyncpg.connect(migrated_db)
    try:
        tx = other.transaction()
        await tx.start()
        await other.execute(
            "INSERT INTO chats (id, account_id, user_id, agent_id, title) "
            "VALUES ($1, $2, $3, $4, 'other')",
            chat_id, world.account.id, world.user.id, world.agent.id,
        )  # fmt: skip
        send = asyncio.create_task(world.send(chat_id, "mine"))
        await _wait_for_lock_wait(other)
        await tx.commit()
        sent = await send
    finally:
        await other.close()
    assert (sent.created_chat, sent.duplicate) == (False, False)
    assert sent.chat.id == chat_id and sent.chat.title == "other"
    assert sent.chat.message_count == 1 and sent.message.content == "mine"


async def test_a_repeated_delete_names_the_chat_and_says_already_deleted(world: World) -> None:
    [chat_id] = await chats_of(world, 1)
    user: dict[str, Any] = {
        "account_id": world.account.id,
        "user_id": world.user.id,
        "chat_id": chat_id,
    }
    assert await world.svc.delete_chat(**user) == ChatDeleted(chat_id)
    assert await world.svc.delete_chat(**user) == ChatDeleted(chat_id, already_deleted=True)


async def test_message_paging_accepts_every_bigint_and_nothing_beyond(world: World) -> None:
    [chat_id] = await chats_of(world, 1)
    user: dict[str, Any] = {
        "account_id": world.account.id,
        "user_id": world.user.id,
        "chat_id": chat_id,
    }
    last = await world.svc.list_messages(**user, after_id=2**63 - 1)
    assert last.messages == [] and last.next_after_id is None
    with pytest.raises(InvalidInput) as exc:
        await world.svc.list_messages(**user, after_id=2**63)
    assert exc.value.message == "after_id must be an integer from 0 to 9223372036854775807."


async def test_a_chat_can_only_be_pointed_at_a_usable_config(world: World) -> None:
    [chat_id] = await chats_of(world, 1)
    user: dict[str, Any] = {
        "account_id": world.account.id,
        "user_id": world.user.id,
        "chat_id": chat_id,
    }
    off = await world.config("p", "off", enabled=False)
    for config_id in (off.id, uuid.uuid4()):
        with pytest.raises(NotFound):
            await world.svc.set_chat_model(**user, model_config_id=config_id)
    on = await world.config("p", "on")
    assert (await world.svc.set_chat_model(**user, model_config_id=on.id)).model_config_id == on.id
    cleared = await world.svc.set_chat_model(**user, model_config_id=None)
    assert cleared.model_config_id is None


async def test_repeating_a_create_with_the_same_id_but_other_fields_is_a_conflict(
    world: World,
) -> None:
    svc, acc = world.svc, world.account.id
    assert await svc.create_account(id=acc, name="Acme") == world.account
    with pytest.raises(Conflict) as exc:
        await svc.create_account(id=acc, name="Other")
    assert exc.value.message == "An account with this id already exists with another name."
    agent = world.agent
    assert await svc.create_agent(id=agent.id, account_id=acc, name=agent.name) == agent
    with pytest.raises(Conflict) as exc:
        await svc.create_agent(id=agent.id, account_id=acc, name="other")
    assert exc.value.message == "An agent with this id already exists with another name."
    user = world.user
    assert await svc.create_user(id=user.id, account_id=acc, email=user.email) == user
    with pytest.raises(Conflict) as exc:
        await svc.create_user(id=user.id, account_id=acc, email="other@example.com")
    assert exc.value.message == "A user with this id already exists with another email."


async def test_a_user_s_display_name_is_stored_and_bounded(world: World) -> None:
    user = await world.svc.create_user(
        account_id=world.account.id, email="grace@example.com", display_name="Grace"
    )
    assert user.display_name == "Grace"
    with pytest.raises(InvalidInput) as exc:
        await world.svc.create_user(
            account_id=world.account.id, email="g2@example.com", display_name="g" * (NAME_MAX + 1)
        )
    assert exc.value.message == f"display_name is longer than {NAME_MAX} characters."
