"""Service hardening, each finding as the test that failed before its fix:
tenants cannot mix, users cannot write assistant turns, disabled models are never used,
input is bounded in total size and nesting, JSON floats round-trip, a deleted chat stays
deleted (also when a late retry races the delete), default promotion breaks ties by
recency, and invalid input is refused before any SQL is sent.

The network faults (lost COMMIT acknowledgements, PgBouncer, connection limits, lock
and acquire timeouts) are in test_network.py.
"""

from __future__ import annotations

import ast
import asyncio
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from chatdb.admin import AdminService
from chatdb.database import Database
from chatdb.db.runtime import JSONValue, create_pool, init_connection
from chatdb.errors import Gone, InvalidInput, NoDefaultModelConfig, NotFound
from chatdb.service import ChatService
from chatdb.validate import CONTENT_MAX, JSON_MAX_SIZE, LIST_MAX_ITEMS
from tests.world import World, world  # noqa: F401  (the fixture)

# ruff: noqa: F811  (test parameters named after the imported `world` fixture)

# -- 1. tenants ------------------------------------------------------------------------


async def test_a_chat_cannot_mix_accounts(world: World) -> None:
    await AdminService(world.svc.db).create_provider(provider="p", display_name="P")
    await world.config("p", "m", default=True)
    other = await world.svc.create_account(name="Other")
    their_agent = await world.svc.create_agent(account_id=other.id, name="theirs")
    their_user = await world.svc.create_user(account_id=other.id, email="mallory@example.com")
    mixes: list[dict[str, Any]] = [
        {"account_id": world.account.id, "user_id": world.user.id, "agent_id": their_agent.id},
        {"account_id": other.id, "user_id": world.user.id, "agent_id": their_agent.id},
        {"account_id": world.account.id, "user_id": their_user.id, "agent_id": world.agent.id},
    ]
    for who in mixes:
        with pytest.raises(NotFound):
            await world.svc.send_message(
                **who, chat_id=uuid.uuid4(), client_message_id=uuid.uuid4(), content="hi"
            )
        with pytest.raises(NotFound):
            await world.svc.create_chat(**who)
    assert await world.count("chats") == 0 and await world.count("chat_messages") == 0
    # The schema itself refuses it, whatever code writes the row.
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        await world.pool.execute(
            "INSERT INTO chats (account_id, user_id, agent_id) VALUES ($1, $2, $3)",
            world.account.id,
            world.user.id,
            their_agent.id,
        )


async def test_users_write_user_turns_only_and_the_assistant_side_is_its_agents(
    world: World,
) -> None:
    await AdminService(world.svc.db).create_provider(provider="p", display_name="P")
    await world.config("p", "m", default=True)
    chat_id = uuid.uuid4()
    await world.send(chat_id, "hi")
    for role in ("assistant", "system"):
        with pytest.raises(InvalidInput):
            await world.svc.send_message(
                **world.who,
                chat_id=chat_id,
                client_message_id=uuid.uuid4(),
                content="I am the system now",
                role=role,
            )
    reply = await world.svc.add_assistant_message(
        account_id=world.account.id,
        agent_id=world.agent.id,
        chat_id=chat_id,
        client_message_id=uuid.uuid4(),
        content="Hello.",
        action="DESCRIBE",
    )
    assert reply.message.role == "assistant" and reply.chat.message_count == 2
    other = await world.svc.create_account(name="Other")
    their_agent = await world.svc.create_agent(account_id=other.id, name="theirs")
    for account_id, agent_id in [(other.id, their_agent.id), (world.account.id, their_agent.id)]:
        with pytest.raises(NotFound):
            await world.svc.add_assistant_message(
                account_id=account_id,
                agent_id=agent_id,
                chat_id=chat_id,
                client_message_id=uuid.uuid4(),
                content="not your chat",
            )
    roles = [m.role for m in (await world.svc.list_messages(**_owner(world, chat_id))).messages]
    assert roles == ["user", "assistant"]


def _owner(world: World, chat_id: uuid.UUID) -> dict[str, Any]:
    return {"account_id": world.account.id, "user_id": world.user.id, "chat_id": chat_id}


async def test_another_users_chat_is_not_found_everywhere(world: World) -> None:
    await AdminService(world.svc.db).create_provider(provider="p", display_name="P")
    cfg = await world.config("p", "m", default=True)
    chat_id = uuid.uuid4()
    await world.send(chat_id, "mine")
    eve = await world.svc.create_user(account_id=world.account.id, email="eve@example.com")
    svc, who = world.svc, _owner(world, chat_id) | {"user_id": eve.id}
    calls = [
        svc.get_chat(**who),
        svc.list_messages(**who),
        svc.resolve_model_for_turn(**who),
        svc.set_chat_model(**who, model_config_id=cfg.id),
        svc.set_chat_model(**who, model_config_id=None),
        svc.delete_chat(**who),
    ]
    for call in calls:
        with pytest.raises(NotFound):
            await call
    assert (await svc.get_chat(**_owner(world, chat_id))).model_config_id is None


# -- 6. disabled models are never used ---------------------------------------------------


async def test_a_disabled_default_is_not_used_for_new_turns(world: World) -> None:
    svc = world.svc
    await AdminService(svc.db).create_provider(provider="p", display_name="P")
    default = await world.config("p", "m", default=True)
    await AdminService(svc.db).update_model_config(
        id=default.id,
        provider="p",
        model="m",
        display_name="M",
        context_limit=10,
        compression_threshold=1,
        enabled=False,
        is_default=False,  # a disabled config cannot be asked to stay the default
    )
    with pytest.raises(NoDefaultModelConfig):
        await world.send(uuid.uuid4(), "hi")
    assert await world.count("chat_messages") == 0


async def test_the_default_of_a_disabled_provider_is_not_used(world: World) -> None:
    svc = world.svc
    await AdminService(svc.db).create_provider(provider="p", display_name="P")
    await world.config("p", "m", default=True)
    chat_id = uuid.uuid4()
    await world.send(chat_id, "hi")
    await AdminService(svc.db).set_provider_enabled(provider="p", enabled=False)
    with pytest.raises(NoDefaultModelConfig):
        await world.send(chat_id, "again")
    with pytest.raises(NoDefaultModelConfig):
        await svc.resolve_model_for_turn(**_owner(world, chat_id))
    assert await world.count("chat_messages") == 1


async def test_promotion_skips_disabled_configs_and_disabled_providers(world: World) -> None:
    svc = world.svc
    for name in ("alpha", "beta", "gamma", "zeta"):
        await AdminService(svc.db).create_provider(provider=name, display_name=name)
    await world.config("alpha", "a", default=True)
    await world.config("beta", "b")  # its provider gets disabled
    await world.config("gamma", "c", enabled=False)  # disabled itself
    usable = await world.config("zeta", "z")
    await AdminService(svc.db).set_provider_enabled(provider="beta", enabled=False)
    deleted = await AdminService(svc.db).delete_provider(provider="alpha")
    assert deleted.promoted_default is not None and deleted.promoted_default.id == usable.id
    deleted = await AdminService(svc.db).delete_provider(provider="zeta")
    assert deleted.promoted_default is None  # nothing usable is left: no default at all
    assert [c for c in await AdminService(svc.db).list_model_configs() if c.is_default] == []
    with pytest.raises(NoDefaultModelConfig):
        await world.send(uuid.uuid4(), "hi")


async def test_promotion_tie_break_is_the_most_recently_updated(world: World) -> None:
    """Two live configs with the same provider and model: the one updated last wins,
    whatever their ids (the low id is made the recent one, so id order would lose)."""
    svc = world.svc
    await AdminService(svc.db).create_provider(provider="a", display_name="A")
    await AdminService(svc.db).create_provider(provider="p", display_name="P")
    default = await world.config("a", "first", default=True)
    low, high = uuid.UUID(int=1), uuid.UUID(int=2**128 - 1)
    for cid in (low, high):
        await AdminService(svc.db).create_model_config(
            id=cid, provider="p", model="m", display_name="M", context_limit=1,
            compression_threshold=1,
        )  # fmt: skip
    await AdminService(svc.db).update_model_config(
        id=low, provider="p", model="m", display_name="M, touched", context_limit=1,
        compression_threshold=1,
    )  # fmt: skip
    deleted = await AdminService(svc.db).delete_model_config(id=default.id)
    assert deleted.promoted_default is not None and deleted.promoted_default.id == low


# -- 7. input limits and JSON round trips ------------------------------------------------


async def _assistant(world: World, chat_id: uuid.UUID, **kw: Any) -> Any:
    return await world.svc.add_assistant_message(
        account_id=world.account.id,
        agent_id=world.agent.id,
        chat_id=chat_id,
        client_message_id=uuid.uuid4(),
        content="answer",
        **kw,
    )


async def test_lists_and_json_are_bounded_in_total_size(world: World) -> None:
    await AdminService(world.svc.db).create_provider(provider="p", display_name="P")
    await world.config("p", "m", default=True)
    chat_id = uuid.uuid4()
    await world.send(chat_id, "q")
    piece = "x" * CONTENT_MAX  # each item alone is allowed
    too_big = [piece] * (JSON_MAX_SIZE // CONTENT_MAX + 1)
    with pytest.raises(InvalidInput) as exc:
        await _assistant(world, chat_id, dax_attempts=too_big)
    assert exc.value.message == f"dax_attempts is larger than {JSON_MAX_SIZE} characters in all."
    with pytest.raises(InvalidInput) as exc:
        await _assistant(world, chat_id, dax_attempts=["x"] * (LIST_MAX_ITEMS + 1))
    assert exc.value.message == f"dax_attempts has more than {LIST_MAX_ITEMS} items."
    with pytest.raises(InvalidInput) as exc:
        await world.config_with(options={str(i): piece for i in range(len(too_big))})
    assert exc.value.message == f"options is larger than {JSON_MAX_SIZE} characters in all."
    assert await world.count("chat_messages") == 1
    assert await world.count("chat_model_configs") == 1
    fits = [piece] * (JSON_MAX_SIZE // CONTENT_MAX - 1)
    stored = await _assistant(world, chat_id, dax_attempts=fits)
    assert stored.message.dax_attempts == fits


async def test_deeply_nested_tuples_are_invalid_input_not_a_recursion_error(
    world: World,
) -> None:
    await AdminService(world.svc.db).create_provider(provider="p", display_name="P")
    deep: Any = "leaf"
    for _ in range(100_000):
        deep = (deep,)
    with pytest.raises(InvalidInput) as exc:
        await world.config_with(options={"t": deep})
    assert "nested more than" in exc.value.message
    shallow = await world.config_with(options={"t": (1, (2, ("x",)))})  # tuples are arrays
    assert shallow.options == {"t": [1, [2, ["x"]]]}


FLOATS = [1e23, 1e16, 2.0, -0.5, 1.5e300, 5e-324, 1.7976931348623157e308, 0.1, 1e-7, 123.456]


async def test_json_floats_round_trip_as_floats(world: World) -> None:
    await AdminService(world.svc.db).create_provider(provider="p", display_name="P")
    options: dict[str, JSONValue] = {f"f{i}": f for i, f in enumerate(FLOATS)}
    options["nested"] = [{"x": 1e23}, 10**23, "1e+23"]
    cfg = await world.config_with(options=options)
    got = (await AdminService(world.svc.db).get_model_config(id=cfg.id)).options
    assert isinstance(got, dict)
    for key, value in options.items():
        assert got[key] == value and type(got[key]) is type(value), key
    assert got["nested"] == [{"x": 1e23}, 10**23, "1e+23"]
    assert type(got["nested"][0]["x"]) is float and type(got["nested"][1]) is int  # type: ignore[index,call-overload]


# -- 8. a deleted chat stays deleted -----------------------------------------------------


async def test_a_late_retry_of_a_send_does_not_bring_a_deleted_chat_back(world: World) -> None:
    await AdminService(world.svc.db).create_provider(provider="p", display_name="P")
    await world.config("p", "m", default=True)
    chat_id, mid = uuid.uuid4(), uuid.uuid4()
    await world.send(chat_id, "What were sales last quarter?", mid)
    await world.svc.delete_chat(**_owner(world, chat_id))
    with pytest.raises(Gone) as exc:  # the acknowledged send, retried late
        await world.send(chat_id, "What were sales last quarter?", mid)
    assert exc.value.status == 410
    with pytest.raises(Gone):
        await world.svc.create_chat(**world.who, chat_id=chat_id)
    with pytest.raises(NotFound):
        await world.svc.get_chat(**_owner(world, chat_id))
    assert await world.count("chat_messages") == 0
    assert [
        c.id
        for c in (
            await world.svc.list_chats(account_id=world.account.id, user_id=world.user.id)
        ).chats
    ] == []
    title = await world.pool.fetchval("SELECT title FROM chats WHERE id = $1", chat_id)
    assert title == ""  # the tombstone keeps no content


async def test_sends_racing_a_delete_never_outlive_it(world: World) -> None:
    await AdminService(world.svc.db).create_provider(provider="p", display_name="P")
    await world.config("p", "m", default=True)
    chat_id = uuid.uuid4()
    await world.send(chat_id, "first")
    deleted = asyncio.Event()
    late: list[object] = []

    async def sender(n: int) -> None:
        await asyncio.sleep(n * 0.002)
        try:
            await world.send(chat_id, f"message {n}")
        except Gone:
            return
        if deleted.is_set():
            late.append(n)  # acknowledged after the delete returned

    async def deleter() -> None:
        await asyncio.sleep(0.05)
        await world.svc.delete_chat(**_owner(world, chat_id))
        deleted.set()

    await asyncio.gather(deleter(), *(sender(n) for n in range(150)))
    assert late == []
    assert await world.count("chat_messages") == 0
    with pytest.raises(NotFound):
        await world.svc.get_chat(**_owner(world, chat_id))


# -- survivor 7: validated before SQL ------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("nul\x00byte", "content must not contain NUL characters."),
        ("lone \ud800 surrogate", "content is not valid Unicode text."),
    ],
)
async def test_invalid_text_is_refused_before_any_sql_is_sent(
    migrated_db: str, content: str, message: str
) -> None:
    """The validator's own message, and not one statement sent: without the checks the
    driver or the server would refuse the value later, with another message."""
    sent: list[str] = []

    async def init(conn: asyncpg.Connection[Any]) -> None:
        await init_connection(conn)
        conn.add_query_logger(lambda record: sent.append(record.query))

    pool: asyncpg.Pool[Any] = await asyncpg.create_pool(
        migrated_db, init=init, min_size=1, max_size=2
    )
    try:
        svc = ChatService(Database(pool))
        account = await svc.create_account(name="a")
        user = await svc.create_user(account_id=account.id, email="u@example.com")
        agent = await svc.create_agent(account_id=account.id, name="b")
        sent.clear()
        with pytest.raises(InvalidInput) as exc:
            await svc.send_message(
                account_id=account.id, user_id=user.id, agent_id=agent.id,
                chat_id=uuid.uuid4(), client_message_id=uuid.uuid4(), content=content,
            )  # fmt: skip
        assert exc.value.message == message
        assert sent == []
    finally:
        await pool.close()


async def test_pgbouncer_option_turns_named_prepared_statements_off(migrated_db: str) -> None:
    """Named prepared statements are what a transaction-mode pooler cannot carry over."""
    for pgbouncer, expect_named in ((False, True), (True, False)):
        pool = await create_pool(migrated_db, min_size=1, max_size=1, pgbouncer=pgbouncer)
        try:
            async with pool.acquire() as conn:
                for _ in range(2):
                    await conn.fetchval("SELECT count(*) FROM chats WHERE id = $1", uuid.uuid4())
                named = await conn.fetchval("SELECT count(*) FROM pg_prepared_statements")
            assert (named > 0) is expect_named
        finally:
            await pool.close()


# -- one place maps driver exceptions, one place checks ownership ------------------------

SERVICE_MODULES = ["service.py", "admin.py", "validate.py", "errors.py"]
SRC = Path(__file__).resolve().parent.parent / "src" / "chatdb"


@pytest.mark.parametrize("module", SERVICE_MODULES)
def test_only_tx_catches_driver_exceptions(module: str) -> None:
    """tx.py maps every driver exception; the service modules never catch one (nor
    import asyncpg for anything but the pool's type)."""
    tree = ast.parse((SRC / module).read_text())
    caught = [
        ast.unparse(h.type)
        for h in ast.walk(tree)
        if isinstance(h, ast.ExceptHandler) and h.type is not None
    ]
    assert [c for c in caught if "asyncpg" in c or c in ("OSError", "TimeoutError")] == []
    used = {
        ast.unparse(n)
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute) and ast.unparse(n.value) == "asyncpg"
    }
    assert used <= {"asyncpg.Pool"}, used


def test_chat_ownership_is_not_compared_in_python() -> None:
    """Which user, account or agent a chat belongs to is in the queries' WHERE clauses;
    the service never compares a fetched chat's owner itself."""
    for module in SERVICE_MODULES:
        tree = ast.parse((SRC / module).read_text())
        compared = [
            ast.unparse(n)
            for n in ast.walk(tree)
            if isinstance(n, ast.Compare)
            and any(f"chat{x}" in ast.unparse(n) for x in (".user_id", ".account_id", ".agent_id"))
        ]
        assert compared == [], (module, compared)
