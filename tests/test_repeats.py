"""Repeating a write: the same key with the same request is the stored result (and says
what the first attempt did); the same key with another request is a Conflict naming
what differs; a create the client gave no id can still be repeated after OutcomeUnknown
(the error carries the id the service chose). Emails and ids are unique per account (on a
single PostgreSQL as on Citus), and a create never tells whether another account has an
address or an id.

The lost acknowledgements come from the loopback TCP proxy of `test_network.py`.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from chatdb.admin import AdminService
from chatdb.errors import Conflict, NotFound, OutcomeUnknown
from chatdb.service import ChatService
from tests.reliability_fixtures import connect, open_service
from tests.tcp_proxy import Proxy
from tests.test_network import (  # noqa: F401
    count,
    dbname,
    lost_send_repeated,
    lost_then_repeated,
    proxy,
)
from tests.world import World, seed_world, world  # noqa: F401  (fixtures)

# ruff: noqa: F811  (test parameters named after the imported fixtures)

pytest_plugins = ["tests.reliability_fixtures"]


async def conflict(call: Any) -> str:
    with pytest.raises(Conflict) as exc:
        await call
    assert exc.value.status == 409
    return exc.value.message


# ------------------------------------------------------------------ same key, other request


async def test_a_message_id_reused_for_other_text_is_a_conflict_naming_it(world: World) -> None:
    chat_id, mid = uuid.uuid4(), uuid.uuid4()
    await AdminService(world.svc.db).create_provider(provider="p", display_name="P")
    await world.config("p", "m")
    first = await world.send(chat_id, "hello", mid)
    again = await world.send(chat_id, "hello", mid)
    assert again.message == first.message and again.duplicate
    message = await conflict(world.send(chat_id, "other text", mid))
    assert message == "A message with this client_message_id already exists with another content."
    assert await world.count("chat_messages") == 1


async def test_an_assistant_turn_with_the_id_of_the_user_turn_is_a_conflict(world: World) -> None:
    chat_id, mid = uuid.uuid4(), uuid.uuid4()
    await AdminService(world.svc.db).create_provider(provider="p", display_name="P")
    await world.config("p", "m")
    await world.send(chat_id, "question", mid)
    reply: dict[str, Any] = {
        "account_id": world.account.id, "agent_id": world.agent.id, "chat_id": chat_id,
        "content": "answer", "action": "QUERY",
    }  # fmt: skip
    message = await conflict(world.svc.add_assistant_message(**reply, client_message_id=mid))
    assert message == (
        "A message with this client_message_id already exists with another role, content, action."
    )
    own = uuid.uuid4()
    stored = await world.svc.add_assistant_message(**reply, client_message_id=own)
    repeat = await world.svc.add_assistant_message(**reply, client_message_id=own)
    assert repeat.duplicate and repeat.message == stored.message
    changed = await conflict(
        world.svc.add_assistant_message(**{**reply, "action": "ERROR"}, client_message_id=own)
    )
    assert changed.endswith("with another action.")
    assert await world.count("chat_messages") == 2


async def test_a_chat_id_reused_with_another_title_or_model_is_a_conflict(world: World) -> None:
    await AdminService(world.svc.db).create_provider(provider="p", display_name="P")
    config = await world.config("p", "m")
    chat_id = uuid.uuid4()
    chat = await world.svc.create_chat(**world.who, chat_id=chat_id, title="Plans")
    assert await world.svc.create_chat(**world.who, chat_id=chat_id, title="Plans") == chat
    message = await conflict(
        world.svc.create_chat(
            **world.who, chat_id=chat_id, title="Other", model_config_id=config.id
        )
    )
    assert message == "A chat with this id already exists with another title, model_config_id."


async def test_a_config_id_reused_with_other_fields_is_a_conflict(world: World) -> None:
    await AdminService(world.svc.db).create_provider(provider="p", display_name="P")
    await AdminService(world.svc.db).create_provider(provider="q", display_name="Q")
    config = await world.config_with(id=uuid.uuid4())
    assert await world.config_with(id=config.id) == config
    message = await conflict(world.config_with(id=config.id, provider="q", model="n"))
    assert message == "A model config with this id already exists with another provider, model."
    assert len(await AdminService(world.svc.db).list_model_configs()) == 1


async def test_creates_name_what_differs(world: World) -> None:
    svc, acc = world.svc, world.account.id
    assert (await conflict(svc.create_account(id=acc, name="Other"))) == (
        "An account with this id already exists with another name."
    )
    assert (await conflict(svc.create_agent(id=world.agent.id, account_id=acc, name="x"))) == (
        "An agent with this id already exists with another name."
    )
    user = world.user
    assert (
        await conflict(svc.create_user(id=user.id, account_id=acc, email="x@example.com"))
    ) == "A user with this id already exists with another email."
    await AdminService(svc.db).create_provider(provider="p", display_name="P")
    assert (
        await conflict(AdminService(svc.db).create_provider(provider="p", display_name="Other"))
    ) == ("Chat provider already exists with another display_name.")


# --------------------------------------------------------------------------- emails per account


async def test_emails_and_ids_are_per_account_and_other_accounts_are_not_revealed(
    world: World,
) -> None:
    svc = world.svc
    other = await svc.create_account(name="Other")
    twin = await svc.create_user(account_id=other.id, email=world.user.email)
    assert twin.email == world.user.email and twin.id != world.user.id
    message = await conflict(svc.create_user(account_id=world.account.id, email=world.user.email))
    assert message == "A user with this email already exists."
    # Another account's ids: rows of this account of their own (every key includes the
    # account), so nothing of the other account's rows is returned, compared or changed.
    before = [await world.count(t) for t in ("users", "agents", "chats")]
    user = await svc.create_user(id=twin.id, account_id=world.account.id, email="n@x")
    assert (user.id, user.account_id, user.email) == (twin.id, world.account.id, "n@x")
    agent = await svc.create_agent(account_id=other.id, name="bot")
    mine = await svc.create_agent(id=agent.id, account_id=world.account.id, name="mine")
    assert (mine.account_id, mine.name) == (world.account.id, "mine")
    theirs = await svc.create_chat(account_id=other.id, user_id=twin.id, agent_id=agent.id)
    chat = await svc.create_chat(**world.who, chat_id=theirs.id, title="mine")
    assert (chat.id, chat.account_id, chat.title) == (theirs.id, world.account.id, "mine")
    after = [await world.count(t) for t in ("users", "agents", "chats")]
    assert after == [n + added for n, added in zip(before, (1, 2, 2), strict=True)]
    stored = await world.pool.fetch(
        "SELECT account_id, email FROM users WHERE id = $1 ORDER BY email", twin.id
    )
    assert [tuple(r) for r in stored] == [(other.id, world.user.email), (world.account.id, "n@x")]
    # Each is found through its own account only.
    found = await svc.get_chat(account_id=other.id, user_id=twin.id, chat_id=theirs.id)
    assert found.title == theirs.title
    with pytest.raises(NotFound):
        await svc.get_chat(account_id=world.account.id, user_id=twin.id, chat_id=theirs.id)


# --------------------------------------------------------------------------- after OutcomeUnknown


async def lost(proxy: Proxy, call: Any) -> OutcomeUnknown:
    proxy.commits_to_drop = 1
    with pytest.raises(OutcomeUnknown) as exc:
        await call()
    return exc.value


async def test_creates_without_ids_can_be_repeated_with_the_id_the_error_carries(
    fault_db: str, proxy: Proxy
) -> None:
    async with open_service(proxy.dsn(dbname(fault_db))) as svc:
        world = await seed_world(svc, providers=("alpha",), configs_per_provider=1)
        acc = world.account_id
        creates: list[tuple[str, Any]] = [
            ("accounts", lambda **id: svc.create_account(name="a", **id)),
            ("users", lambda **id: svc.create_user(account_id=acc, email="u@x", **id)),
            ("agents", lambda **id: svc.create_agent(account_id=acc, name="b", **id)),
            ("chat_model_configs", lambda **id: AdminService(svc.db).create_model_config(
                provider="alpha", model="m2", display_name="M2", context_limit=1,
                compression_threshold=1, **id)),
        ]  # fmt: skip
        for table, create in creates:
            before = await count(fault_db, f"SELECT count(*) FROM {table}")
            error = await lost(proxy, create)
            assert error.created_id is not None, table
            again = await create(id=error.created_id)
            assert again.id == error.created_id
            assert await count(fault_db, f"SELECT count(*) FROM {table}") == before + 1, table
        error = await lost(proxy, lambda: svc.create_chat(**world.who))
        assert error.created_id is not None
        chat = await svc.create_chat(**world.who, chat_id=error.created_id)
        assert chat.id == error.created_id
        assert await count(fault_db, "SELECT count(*) FROM chats") == 1


async def test_a_repeat_after_outcome_unknown_reports_what_the_first_attempt_did(
    fault_db: str, proxy: Proxy
) -> None:
    async with open_service(proxy.dsn(dbname(fault_db))) as svc:
        world = await seed_world(svc, providers=("alpha", "beta"), configs_per_provider=2)
        chat_id, first = uuid.uuid4(), uuid.uuid4()
        send = await lost_send_repeated(
            proxy,
            svc,
            lambda: svc.send_message(
                **world.who, chat_id=chat_id, client_message_id=first, content="hi"
            ),
        )
        assert (send.duplicate, send.created_chat) == (True, True)
        second = uuid.uuid4()
        await svc.send_message(**world.who, chat_id=chat_id, client_message_id=second, content="2")
        repeat = await svc.send_message(
            **world.who, chat_id=chat_id, client_message_id=second, content="2"
        )
        assert (repeat.duplicate, repeat.created_chat) == (True, False)

        default = world.configs["alpha"][0]
        deleted = await lost_then_repeated(
            proxy, lambda: AdminService(svc.db).delete_model_config(id=default)
        )
        promoted = world.configs["alpha"][1]
        assert deleted.already_deleted
        assert deleted.promoted_default is not None and deleted.promoted_default.id == promoted
        gone = await lost_then_repeated(
            proxy, lambda: AdminService(svc.db).delete_provider(provider="alpha")
        )
        assert gone.already_deleted and gone.soft_deleted_configs == 1
        assert gone.promoted_default is not None
        assert gone.promoted_default.id == world.configs["beta"][0]
    async with connect(fault_db) as conn:
        assert await conn.fetchval("SELECT count(*) FROM chat_messages") == 2


async def test_a_repeated_delete_that_promoted_nothing_says_so(world: World) -> None:
    svc: ChatService = world.svc
    await AdminService(svc.db).create_provider(provider="p", display_name="P")
    default = await world.config("p", "a")
    spare = await world.config("p", "b")
    await AdminService(svc.db).delete_model_config(id=spare.id)
    again = await AdminService(svc.db).delete_model_config(id=spare.id)
    assert again.already_deleted and again.promoted_default is None
    await AdminService(svc.db).create_provider(provider="q", display_name="Q")
    await world.config("q", "c")
    await AdminService(svc.db).delete_provider(provider="q")
    repeat = await AdminService(svc.db).delete_provider(provider="q")
    assert (repeat.soft_deleted_configs, repeat.promoted_default) == (1, None)
    assert (await AdminService(svc.db).get_model_config(id=default.id)).is_default
