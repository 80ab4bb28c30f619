"""The service against a real PostgreSQL: every operation, every domain error, and the
two rules step by step: deleting a provider used by historical chats succeeds (history
keeps resolving, a default is promoted), and a message never exists without its chat."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import pytest

from chatdb.admin import AdminService
from chatdb.errors import (
    Conflict,
    InvalidInput,
    NoDefaultModelConfig,
    NotFound,
    ProviderNotConfigured,
)
from chatdb.service import ChatCursor, ConfigDeleted
from tests.world import World, world  # noqa: F401  (the fixture)

# ruff: noqa: F811  (test parameters named after the imported `world` fixture)

# -- providers -------------------------------------------------------------------------


async def test_provider_create_update_enable_list(world: World) -> None:
    svc = world.svc
    await AdminService(svc.db).create_provider(provider="openai", display_name="OpenAI")
    await AdminService(svc.db).create_provider(
        provider="anthropic", display_name="Anthropic", enabled=False
    )
    with pytest.raises(Conflict) as dup:
        await AdminService(svc.db).create_provider(provider="openai", display_name="Again")
    assert dup.value.status == 409
    updated = await AdminService(svc.db).update_provider(
        provider="openai", display_name="Open AI", enabled=True
    )
    assert updated.display_name == "Open AI"
    enabled = await AdminService(svc.db).set_provider_enabled(provider="anthropic", enabled=True)
    assert enabled.enabled and enabled.display_name == "Anthropic"
    assert [p.provider for p in await AdminService(svc.db).list_providers()] == [
        "anthropic",
        "openai",
    ]
    with pytest.raises(NotFound):
        await AdminService(svc.db).update_provider(provider="nope", display_name="x", enabled=True)
    with pytest.raises(NotFound):
        await AdminService(svc.db).set_provider_enabled(provider="nope", enabled=False)
    with pytest.raises(NotFound):
        await AdminService(svc.db).delete_provider(provider="nope")


# -- model configs ------------------------------------------------------------------


async def test_first_config_becomes_default_and_setting_default_unsets_previous(
    world: World,
) -> None:
    await AdminService(world.svc.db).create_provider(provider="openai", display_name="OpenAI")
    first = await world.config("openai", "gpt-a")
    assert first.is_default  # nothing else could be the default
    second = await world.config("openai", "gpt-b", default=True)
    assert second.is_default
    configs = {c.model: c for c in await AdminService(world.svc.db).list_model_configs()}
    assert not configs["gpt-a"].is_default and configs["gpt-b"].is_default
    third = await world.config("openai", "gpt-c")
    assert not third.is_default
    again = await AdminService(world.svc.db).set_default_model_config(id=third.id)
    assert again.is_default
    live_defaults = [
        c.model for c in await AdminService(world.svc.db).list_model_configs() if c.is_default
    ]
    assert live_defaults == ["gpt-c"]


async def test_config_create_and_update_require_a_configured_provider(world: World) -> None:
    with pytest.raises(ProviderNotConfigured) as exc:
        await world.config("ghost", "m")
    assert exc.value.status == 400
    assert exc.value.message == "Chat provider is not configured."
    await AdminService(world.svc.db).create_provider(provider="openai", display_name="OpenAI")
    cfg = await world.config("openai", "m")
    with pytest.raises(ProviderNotConfigured):
        await AdminService(world.svc.db).update_model_config(
            id=cfg.id,
            provider="ghost",
            model="m",
            display_name="M",
            context_limit=1,
            compression_threshold=1,
        )
    assert await world.count("chat_model_configs") == 1


async def test_update_delete_and_get_model_config(world: World) -> None:
    await AdminService(world.svc.db).create_provider(provider="openai", display_name="OpenAI")
    cfg = await world.config("openai", "m")
    new = await AdminService(world.svc.db).update_model_config(
        id=cfg.id,
        provider="openai",
        model="m2",
        display_name="M2",
        context_limit=100,
        compression_threshold=50,
        options={"k": [1, 2, {"x": None}]},
        is_default=True,
    )
    assert (new.model, new.context_limit, new.options) == ("m2", 100, {"k": [1, 2, {"x": None}]})
    assert new.updated_at >= cfg.updated_at
    assert (await AdminService(world.svc.db).get_model_config(id=cfg.id)).model == "m2"
    assert await AdminService(world.svc.db).delete_model_config(id=cfg.id) == ConfigDeleted(
        cfg.id, None
    )
    with pytest.raises(NotFound):
        await AdminService(world.svc.db).get_model_config(id=cfg.id)
    with pytest.raises(NotFound) as gone:
        await AdminService(world.svc.db).update_model_config(
            id=cfg.id,
            provider="openai",
            model="m",
            display_name="M",
            context_limit=1,
            compression_threshold=1,
        )
    assert gone.value.status == 404
    assert gone.value.message == "Resource not found or you do not have access to this resource"
    assert (
        await AdminService(world.svc.db).delete_model_config(id=cfg.id)
    ).already_deleted  # a repeat
    with pytest.raises(NotFound):
        await AdminService(world.svc.db).delete_model_config(id=uuid.uuid4())
    # Soft delete: the row is still there for history, marked deleted.
    row = await world.pool.fetchrow(
        "SELECT deleted, deleted_at FROM chat_model_configs WHERE id = $1", cfg.id
    )
    assert row is not None and row["deleted"] and row["deleted_at"] is not None


async def test_deleting_default_config_promotes_the_next(world: World) -> None:
    await AdminService(world.svc.db).create_provider(provider="openai", display_name="OpenAI")
    a = await world.config("openai", "a", default=True)
    await world.config("openai", "b")
    promoted = (await AdminService(world.svc.db).delete_model_config(id=a.id)).promoted_default
    assert promoted is not None and promoted.model == "b" and promoted.is_default


async def test_update_of_a_config_deleted_mid_transaction_is_not_found(
    world: World, migrated_db: str
) -> None:
    """The row disappearing mid-transaction is a 404, not a leaked 500."""
    await AdminService(world.svc.db).create_provider(provider="openai", display_name="OpenAI")
    cfg = await world.config("openai", "m")
    blocker = await asyncpg.connect(migrated_db)
    try:
        tx = blocker.transaction()
        await tx.start()
        await blocker.execute("SELECT 1 FROM chat_model_configs WHERE id = $1 FOR UPDATE", cfg.id)
        update = asyncio.create_task(
            AdminService(world.svc.db).update_model_config(
                id=cfg.id,
                provider="openai",
                model="m",
                display_name="M",
                context_limit=5,
                compression_threshold=5,
            )
        )
        await _wait_for_lock_wait(blocker)
        await blocker.execute(
            "UPDATE chat_model_configs SET deleted = TRUE, deleted_at = now() WHERE id = $1",
            cfg.id,
        )
        await tx.commit()
        with pytest.raises(NotFound):
            await update
    finally:
        await blocker.close()


async def _wait_for_lock_wait(conn: asyncpg.Connection[Any]) -> None:
    for _ in range(200):
        waiting = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND datname = current_database()"
        )
        if waiting:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the service never waited for the lock")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("compression_threshold", 101, "compression_threshold must be an integer from 0 to 100."),
        ("context_limit", 0, "context_limit must be an integer"),
        ("model", "", "model must not be empty."),
        ("options", ["not", "an", "object"], "options must be a JSON object."),
        ("provider", "a\x00b", "provider must not contain NUL characters."),
    ],
)
async def test_model_config_validation(
    world: World, field: str, value: object, message: str
) -> None:
    await AdminService(world.svc.db).create_provider(provider="openai", display_name="OpenAI")
    args: dict[str, Any] = {
        "provider": "openai",
        "model": "m",
        "display_name": "M",
        "context_limit": 10,
        "compression_threshold": 10,
        "options": {},
    }
    args[field] = value
    with pytest.raises(InvalidInput) as exc:
        await AdminService(world.svc.db).create_model_config(**args)
    assert exc.value.status == 400 and exc.value.message.startswith(message)
    assert await world.count("chat_model_configs") == 0


# -- deleting a provider used by historical chats -------------------------------------


async def test_deleting_a_provider_with_history_succeeds(world: World) -> None:
    svc = world.svc
    await AdminService(svc.db).create_provider(provider="alpha", display_name="Alpha")
    await AdminService(svc.db).create_provider(provider="beta", display_name="Beta")
    alpha = await world.config("alpha", "a-1", default=True)
    await world.config("beta", "b-2")
    b1 = await world.config("beta", "b-1")
    chat_id = uuid.uuid4()
    first = await world.send(chat_id, "What were sales last quarter?")
    assert first.message.model_config_id == alpha.id
    await svc.add_assistant_message(
        account_id=world.account.id,
        agent_id=world.agent.id,
        chat_id=chat_id,
        client_message_id=uuid.uuid4(),
        content="Sales were up 4%.",
        action="QUERY",
        dax_attempts=["EVALUATE Sales"],
        final_dax="EVALUATE Sales",
    )
    history = await svc.list_messages(
        account_id=world.account.id, user_id=world.user.id, chat_id=chat_id
    )

    # Admin: before, this was blocked ("still referenced by existing chats"); now it succeeds.
    deleted = await AdminService(svc.db).delete_provider(provider="alpha")
    assert deleted.soft_deleted_configs == 1
    # The default was alpha's: the first live config by provider, model ASC is promoted.
    assert deleted.promoted_default is not None
    assert deleted.promoted_default.id == b1.id and deleted.promoted_default.is_default
    assert [p.provider for p in await AdminService(svc.db).list_providers()] == ["beta"]

    # End users: the old chat still opens and its history renders unchanged.
    assert (
        await svc.get_chat(account_id=world.account.id, user_id=world.user.id, chat_id=chat_id)
    ).message_count == 2
    assert (
        await svc.list_messages(account_id=world.account.id, user_id=world.user.id, chat_id=chat_id)
        == history
    )
    # The soft-deleted config still resolves for reading history (not for new turns).
    row = await world.pool.fetchrow("SELECT * FROM chat_model_configs WHERE id = $1", alpha.id)
    assert row is not None and row["deleted"] and row["model"] == "a-1"
    # The model picker no longer lists the deleted model.
    assert "a-1" not in [c.model for c in await AdminService(svc.db).list_enabled_model_configs()]
    # A new turn silently falls back to the current default.
    turn = await world.send(chat_id, "And this quarter?")
    assert turn.message.model_config_id == b1.id

    # With no default left at all, a new turn fails and stores nothing.
    await AdminService(svc.db).delete_provider(provider="beta")
    before = await world.count("chat_messages")
    with pytest.raises(NoDefaultModelConfig) as exc:
        await world.send(chat_id, "Anyone there?")
    assert exc.value.message == "no default chat model config is available"
    assert await world.count("chat_messages") == before
    assert (
        await world.pool.fetchval("SELECT count(*) FROM chat_model_configs WHERE NOT deleted") == 0
    )


async def test_chat_model_falls_back_when_disabled_or_provider_disabled(world: World) -> None:
    svc = world.svc
    await AdminService(svc.db).create_provider(provider="p", display_name="P")
    await AdminService(svc.db).create_provider(provider="q", display_name="Q")
    default = await world.config("p", "default", default=True)
    own = await world.config("q", "own")
    chat_id = uuid.uuid4()
    await world.send(chat_id, "hi")
    await svc.set_chat_model(
        account_id=world.account.id, user_id=world.user.id, chat_id=chat_id, model_config_id=own.id
    )
    resolved = await svc.resolve_model_for_turn(
        account_id=world.account.id, user_id=world.user.id, chat_id=chat_id
    )
    assert resolved.id == own.id
    await AdminService(svc.db).set_provider_enabled(provider="q", enabled=False)
    resolved = await svc.resolve_model_for_turn(
        account_id=world.account.id, user_id=world.user.id, chat_id=chat_id
    )
    assert resolved.id == default.id
    await AdminService(svc.db).set_provider_enabled(provider="q", enabled=True)
    await AdminService(svc.db).update_model_config(
        id=own.id,
        provider="q",
        model="own",
        display_name="OWN",
        context_limit=1,
        compression_threshold=1,
        enabled=False,
    )
    resolved = await svc.resolve_model_for_turn(
        account_id=world.account.id, user_id=world.user.id, chat_id=chat_id
    )
    assert resolved.id == default.id


# -- a message always has its chat ---------------------------------------------------


async def test_a_first_message_creates_its_chat_first(world: World) -> None:
    await AdminService(world.svc.db).create_provider(provider="p", display_name="P")
    await world.config("p", "m", default=True)
    chat_id = uuid.uuid4()
    # 1-3. The user sends "Hello" in a new conversation: chat row, then the message.
    sent = await world.send(chat_id, "Hello")
    assert sent.created_chat and not sent.duplicate
    assert sent.chat.id == chat_id and sent.message.chat_id == chat_id
    assert sent.chat.title == "Hello" and sent.chat.status == "active"
    assert sent.chat.message_count == 1
    # 4. The foreign key validates the relationship: an orphan insert is impossible.
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        await world.pool.execute(
            "INSERT INTO chat_messages (account_id, chat_id, client_message_id, role, content)"
            " VALUES ($1, $2, $3, 'user', 'orphan')",
            world.account.id,
            uuid.uuid4(),
            uuid.uuid4(),
        )
    # 5. The conversation appears in the sidebar.
    page = await world.svc.list_chats(account_id=world.account.id, user_id=world.user.id)
    assert [c.id for c in page.chats] == [chat_id]
    assert (
        await world.pool.fetchval(
            "SELECT count(*) FROM chat_messages m WHERE NOT EXISTS"
            " (SELECT 1 FROM chats c WHERE c.account_id = m.account_id AND c.id = m.chat_id)"
        )
        == 0
    )


async def test_a_failed_chat_creation_saves_no_message(world: World) -> None:
    await AdminService(world.svc.db).create_provider(provider="p", display_name="P")
    await world.config("p", "m", default=True)
    with pytest.raises(NotFound):
        await world.svc.send_message(
            account_id=world.account.id,
            user_id=world.user.id,
            agent_id=uuid.uuid4(),  # no such agent: the chat cannot be created
            chat_id=uuid.uuid4(),
            client_message_id=uuid.uuid4(),
            content="Hello",
        )
    assert await world.count("chats") == 0
    assert await world.count("chat_messages") == 0


async def test_a_retried_send_is_idempotent(world: World) -> None:
    await AdminService(world.svc.db).create_provider(provider="p", display_name="P")
    await world.config("p", "m", default=True)
    chat_id, mid = uuid.uuid4(), uuid.uuid4()
    first = await world.send(chat_id, "Hello", mid)
    again = await world.send(chat_id, "Hello", mid)
    assert again.duplicate and again.created_chat  # says what the first attempt did
    assert again.message == first.message
    assert again.chat.message_count == 1
    assert await world.count("chat_messages") == 1


async def test_messages_bump_count_and_activity_title_is_first_50_chars(world: World) -> None:
    await AdminService(world.svc.db).create_provider(provider="p", display_name="P")
    await world.config("p", "m", default=True)
    chat_id = uuid.uuid4()
    long_text = "x" * 49 + "é" + "tail beyond fifty characters"
    one = await world.send(chat_id, long_text)
    assert one.chat.title == long_text[:50] and len(one.chat.title) == 50
    two = await world.send(chat_id, "second")
    assert two.chat.message_count == 2
    assert two.chat.last_active >= one.chat.last_active
    assert two.chat.title == one.chat.title  # the title comes from the first message only


async def test_list_chats_keyset_pagination(world: World) -> None:
    await AdminService(world.svc.db).create_provider(provider="p", display_name="P")
    await world.config("p", "m", default=True)
    chat_ids = []
    for i in range(7):
        cid = uuid.uuid4()
        await world.send(cid, f"chat {i}")
        chat_ids.append(cid)
    await world.send(chat_ids[2], "bump")  # most recent activity now
    seen: list[uuid.UUID] = []
    cursor: ChatCursor | None = None
    pages = 0
    while True:
        page = await world.svc.list_chats(
            account_id=world.account.id, user_id=world.user.id, limit=3, after=cursor
        )
        seen.extend(c.id for c in page.chats)
        pages += 1
        if page.next is None:
            break
        cursor = page.next
    assert pages == 3
    assert seen[0] == chat_ids[2]
    assert sorted(seen) == sorted(chat_ids) and len(set(seen)) == 7
    rows = await world.pool.fetch(
        "SELECT id FROM chats WHERE user_id = $1 ORDER BY last_active DESC, id DESC",
        world.user.id,
    )
    assert seen == [r["id"] for r in rows]


async def test_list_messages_in_order_with_pages(world: World) -> None:
    await AdminService(world.svc.db).create_provider(provider="p", display_name="P")
    await world.config("p", "m", default=True)
    chat_id = uuid.uuid4()
    texts = [f"message {i}" for i in range(5)]
    for t in texts:
        await world.send(chat_id, t)
    page1 = await world.svc.list_messages(
        account_id=world.account.id, user_id=world.user.id, chat_id=chat_id, limit=3
    )
    assert page1.next_after_id is not None
    page2 = await world.svc.list_messages(
        account_id=world.account.id,
        user_id=world.user.id,
        chat_id=chat_id,
        limit=3,
        after_id=page1.next_after_id,
    )
    assert page2.next_after_id is None
    assert [m.content for m in page1.messages + page2.messages] == texts


async def test_delete_chat_cascades_and_is_owner_only(world: World) -> None:
    await AdminService(world.svc.db).create_provider(provider="p", display_name="P")
    await world.config("p", "m", default=True)
    chat_id = uuid.uuid4()
    await world.send(chat_id, "one")
    await world.send(chat_id, "two")
    other = await world.svc.create_user(account_id=world.account.id, email="eve@example.com")
    with pytest.raises(NotFound):
        await world.svc.delete_chat(account_id=world.account.id, user_id=other.id, chat_id=chat_id)
    with pytest.raises(NotFound):
        await world.svc.list_messages(
            account_id=world.account.id, user_id=other.id, chat_id=chat_id
        )
    with pytest.raises(NotFound):
        await world.svc.send_message(
            account_id=world.account.id,
            user_id=other.id,
            agent_id=world.agent.id,
            chat_id=chat_id,
            client_message_id=uuid.uuid4(),
            content="intrude",
        )
    assert await world.count("chat_messages") == 2
    deleted = await world.svc.delete_chat(
        account_id=world.account.id, user_id=world.user.id, chat_id=chat_id
    )
    assert deleted.chat_id == chat_id and not deleted.already_deleted
    assert await world.count("chats WHERE deleted_at IS NULL") == 0
    assert await world.count("chat_messages") == 0
    with pytest.raises(NotFound):
        await world.svc.get_chat(
            account_id=world.account.id, user_id=world.user.id, chat_id=chat_id
        )
    # A repeat (a retry after an unknown outcome) reports what happened.
    again = await world.svc.delete_chat(
        account_id=world.account.id, user_id=world.user.id, chat_id=chat_id
    )
    assert again.already_deleted
    with pytest.raises(NotFound):
        await world.svc.delete_chat(
            account_id=world.account.id, user_id=world.user.id, chat_id=uuid.uuid4()
        )


async def test_create_chat_and_duplicate_user_email(world: World) -> None:
    chat = await world.svc.create_chat(**world.who)
    assert chat.title == "New Chat" and chat.message_count == 0
    with pytest.raises(Conflict):
        await world.svc.create_user(account_id=world.account.id, email="ada@example.com")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"chat_id": "not-a-uuid"}, "chat_id is not a valid UUID."),
        ({"user_id": 42}, "user_id is not a valid UUID."),
        ({"role": "robot"}, "role must be user; add_assistant_message writes the others."),
        ({"role": "system"}, "role must be user; add_assistant_message writes the others."),
        ({"content": ""}, "content must not be empty."),
        ({"content": "   "}, "content must not be empty."),
        ({"content": "nul\x00byte"}, "content must not contain NUL characters."),
        ({"content": "bad \ud800 surrogate"}, "content is not valid Unicode text."),
    ],
)
async def test_send_message_rejects_bad_input_before_sql(
    world: World, change: dict[str, Any], message: str
) -> None:
    await AdminService(world.svc.db).create_provider(provider="p", display_name="P")
    await world.config("p", "m", default=True)
    args: dict[str, Any] = {
        **world.who,
        "chat_id": uuid.uuid4(),
        "client_message_id": uuid.uuid4(),
        "content": "hello",
    }
    args.update(change)
    with pytest.raises(InvalidInput) as exc:
        await world.svc.send_message(**args)
    assert exc.value.status == 400 and exc.value.message == message
    assert await world.count("chats") == 0
    assert await world.count("chat_messages") == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"role": "user"}, "role must be one of: assistant, system."),
        ({"action": "DROP"}, "action must be one of: DESCRIBE, ERROR, QUERY."),
        ({"dax_attempts": "EVALUATE"}, "dax_attempts must be a list of strings."),
        ({"final_dax": "nul\x00"}, "final_dax must not contain NUL characters."),
    ],
)
async def test_add_assistant_message_rejects_bad_input_before_sql(
    world: World, change: dict[str, Any], message: str
) -> None:
    await AdminService(world.svc.db).create_provider(provider="p", display_name="P")
    await world.config("p", "m", default=True)
    chat = await world.svc.create_chat(**world.who)
    args: dict[str, Any] = {
        "account_id": world.account.id,
        "agent_id": world.agent.id,
        "chat_id": chat.id,
        "client_message_id": uuid.uuid4(),
        "content": "hello",
    }
    args.update(change)
    with pytest.raises(InvalidInput) as exc:
        await world.svc.add_assistant_message(**args)
    assert exc.value.message == message
    assert await world.count("chat_messages") == 0


async def test_over_long_title_and_bad_paging(world: World) -> None:
    with pytest.raises(InvalidInput) as exc:
        await world.svc.create_chat(**world.who, title="t" * 256)
    assert exc.value.message == "title is longer than 255 characters."
    assert await world.svc.create_chat(**world.who, title="t" * 255)
    with pytest.raises(InvalidInput):
        await world.svc.list_chats(account_id=world.account.id, user_id=world.user.id, limit=0)
    with pytest.raises(InvalidInput):
        await world.svc.list_messages(
            account_id=world.account.id, user_id=world.user.id, chat_id=uuid.uuid4(), after_id=-1
        )
