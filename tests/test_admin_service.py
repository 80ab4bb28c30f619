"""The admin side's promises that mutation testing found unguarded (`python -m mutation admin`).

Reads run in READ ONLY transactions (a bug in a read cannot write, and a pooler or a
replica can take them); repeated deletes report what they deleted before; an update
records who made it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from chatdb.admin import AdminService
from chatdb.database import Database
from chatdb.db.runtime import init_connection
from chatdb.errors import Conflict, InvalidInput, NotFound
from chatdb.service import ChatService, ConfigDeleted, ProviderDeleted
from chatdb.tx import Timeouts
from tests.world import World, world  # noqa: F401  (the fixture)

# ruff: noqa: F811  (test parameters named after the imported `world` fixture)


@pytest.fixture
async def logged(world: World, migrated_db: str) -> AsyncIterator[tuple[ChatService, list[str]]]:
    """The world's service on a pool that records each transaction's BEGIN."""
    begins: list[str] = []

    async def init(conn: asyncpg.Connection[Any]) -> None:
        await init_connection(conn)
        conn.add_query_logger(
            lambda r: begins.append(r.query) if r.query.startswith("BEGIN") else None
        )

    pool: asyncpg.Pool[Any] = await asyncpg.create_pool(
        migrated_db, init=init, min_size=1, max_size=1
    )
    try:
        yield ChatService(Database(pool)), begins
    finally:
        await pool.close()


async def test_reads_run_in_read_only_transactions_and_writes_do_not(
    world: World, logged: tuple[ChatService, list[str]]
) -> None:
    svc, begins = logged
    await AdminService(svc.db).create_provider(provider="p", display_name="P")
    config = await AdminService(svc.db).create_model_config(
        provider="p", model="m", display_name="M", context_limit=1, compression_threshold=1
    )
    chat = await svc.create_chat(**world.who)
    assert len(begins) == 3 and not any("READ ONLY" in b for b in begins)
    begins.clear()
    user: dict[str, Any] = {
        "account_id": world.account.id,
        "user_id": world.user.id,
        "chat_id": chat.id,
    }
    await AdminService(svc.db).list_providers()
    await AdminService(svc.db).list_model_configs()
    await AdminService(svc.db).list_enabled_model_configs()
    await AdminService(svc.db).get_model_config(id=config.id)
    await svc.get_chat(**user)
    await svc.list_chats(account_id=world.account.id, user_id=world.user.id)
    await svc.list_messages(**user)
    await svc.resolve_model_for_turn(**user)
    assert len(begins) == 8 and all("READ ONLY" in b for b in begins), begins


async def test_repeated_deletes_name_what_was_deleted_and_say_already_deleted(
    world: World,
) -> None:
    svc = world.svc
    await AdminService(svc.db).create_provider(provider="p", display_name="P")
    first = await world.config("p", "m")
    spare = await world.config("p", "n")
    assert await AdminService(svc.db).delete_model_config(id=spare.id) == ConfigDeleted(
        spare.id, None
    )
    again = await AdminService(svc.db).delete_model_config(id=spare.id)
    assert again == ConfigDeleted(spare.id, None, already_deleted=True)
    with pytest.raises(NotFound):
        await AdminService(svc.db).delete_model_config(id=uuid.uuid4())

    deleted = await AdminService(svc.db).delete_provider(provider="p")
    assert deleted == ProviderDeleted("p", 1, None) and first.is_default
    assert await AdminService(svc.db).delete_provider(provider="p") == ProviderDeleted(
        "p", 1, None, already_deleted=True
    )
    with pytest.raises(NotFound):
        await AdminService(svc.db).delete_provider(provider="never-existed")


async def test_an_update_records_who_made_it(world: World) -> None:
    await AdminService(world.svc.db).create_provider(provider="p", display_name="P")
    author = world.user.id
    editor = (await world.svc.create_user(account_id=world.account.id, email="e@x.org")).id
    config = await world.config_with(created_by=author)
    assert (config.created_by, config.updated_by) == (author, author)
    updated = await AdminService(world.svc.db).update_model_config(
        id=config.id,
        provider="p",
        model="m",
        display_name="M2",
        context_limit=1,
        compression_threshold=1,
        updated_by=editor,
    )
    assert (updated.created_by, updated.updated_by, updated.display_name) == (author, editor, "M2")


async def test_the_service_s_own_timeouts_bound_every_transaction(
    world: World, migrated_db: str
) -> None:
    begins: list[str] = []

    async def init(conn: asyncpg.Connection[Any]) -> None:
        await init_connection(conn)
        conn.add_query_logger(lambda r: begins.append(r.query) if "BEGIN" in r.query else None)

    pool: asyncpg.Pool[Any] = await asyncpg.create_pool(
        migrated_db, init=init, min_size=1, max_size=1
    )
    try:
        svc = ChatService(Database(pool, timeouts=Timeouts(statement=7, lock=3)))
        chat = await svc.create_chat(**world.who)
        await AdminService(svc.db).list_providers()
        await svc.get_chat(account_id=world.account.id, user_id=world.user.id, chat_id=chat.id)
    finally:
        await pool.close()
    assert len(begins) == 3
    assert all("statement_timeout = 7000;" in b and "lock_timeout = 3000" in b for b in begins)


async def test_limits_and_repeats_of_config_and_provider_creates(world: World) -> None:
    svc = world.svc
    await AdminService(svc.db).create_provider(provider="p", display_name="P")
    with pytest.raises(Conflict) as exc:
        await AdminService(svc.db).create_provider(provider="p", display_name="Other")
    assert exc.value.message == "Chat provider already exists with another display_name."
    big = await world.config_with(context_limit=2**63 - 1, id=uuid.uuid4())
    assert big.context_limit == 2**63 - 1
    assert await world.config_with(context_limit=2**63 - 1, id=big.id) == big  # a repeat
    with pytest.raises(InvalidInput) as invalid:
        await world.config_with(context_limit=2**63)
    assert (
        invalid.value.message == "context_limit must be an integer from 1 to 9223372036854775807."
    )


async def test_provider_creates_repeat_and_a_deleted_provider_can_come_back(world: World) -> None:
    svc = world.svc
    created = await AdminService(svc.db).create_provider(provider="p", display_name="P")
    assert await AdminService(svc.db).create_provider(provider="p", display_name="P") == created
    await AdminService(svc.db).delete_provider(provider="p")
    back = await AdminService(svc.db).create_provider(provider="p", display_name="P again")
    assert back.display_name == "P again"
    assert (await AdminService(svc.db).delete_provider(provider="p")).already_deleted is False


async def test_a_repeat_of_a_config_create_deleted_since_is_not_found(world: World) -> None:
    await AdminService(world.svc.db).create_provider(provider="p", display_name="P")
    config = await world.config_with(id=uuid.uuid4())
    await AdminService(world.svc.db).delete_model_config(id=config.id)
    with pytest.raises(NotFound):
        await world.config_with(id=config.id)
