"""Semantic search over chat messages on a real pgvector server: embeddings are stored for
the caller's own messages only, a search returns the nearest of the caller's messages and
never another user's or account's, and no embedding outlives its message."""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest

from chatdb.admin import AdminService
from chatdb.database import Database
from chatdb.db.models import Account, Agent, User
from chatdb.db.runtime import create_pool
from chatdb.errors import InvalidInput, NotFound
from chatdb.semantic import EMBEDDING_DIMS, SEARCH_MAX, SearchService
from chatdb.service import ChatService
from tests.conftest import ROOT, schema_tables


@dataclass
class Person:
    account: Account
    user: User
    agent: Agent

    def ids(self) -> dict[str, Any]:
        return {"account_id": self.account.id, "user_id": self.user.id}


@dataclass
class World:
    svc: ChatService
    search: SearchService
    pool: asyncpg.Pool[Any]
    ada: Person
    bob: Person  # another user in ada's account
    eve: Person  # another account

    async def send(self, who: Person, chat_id: uuid.UUID, text: str) -> int:
        sent = await self.svc.send_message(
            account_id=who.account.id,
            user_id=who.user.id,
            agent_id=who.agent.id,
            chat_id=chat_id,
            client_message_id=uuid.uuid4(),
            content=text,
        )
        return sent.message.id


def unit(seed: int) -> list[float]:
    """A random direction of EMBEDDING_DIMS numbers, the same for the same seed."""
    rng = random.Random(seed)
    values = [rng.gauss(0, 1) for _ in range(EMBEDDING_DIMS)]
    norm = math.sqrt(sum(x * x for x in values))
    return [x / norm for x in values]


def near(base: list[float], seed: int, noise: float) -> list[float]:
    rng = random.Random(seed)
    return [x + rng.gauss(0, noise) for x in base]


async def person(svc: ChatService, account: Account, email: str) -> Person:
    user = await svc.create_user(account_id=account.id, email=email)
    agent = await svc.create_agent(account_id=account.id, name=f"agent of {email}")
    return Person(account, user, agent)


@pytest.fixture
async def world(migrated_db: str) -> AsyncIterator[World]:
    pool = await create_pool(migrated_db, min_size=1, max_size=4)
    svc = ChatService(Database(pool))
    acme, other = await svc.create_account(name="Acme"), await svc.create_account(name="Other")
    ada = await person(svc, acme, "ada@example.com")
    bob = await person(svc, acme, "bob@example.com")
    eve = await person(svc, other, "eve@example.com")
    await AdminService(svc.db).create_provider(provider="p", display_name="P")
    await AdminService(svc.db).create_model_config(
        provider="p",
        model="m",
        display_name="M",
        context_limit=8192,
        compression_threshold=70,
        is_default=True,
    )
    try:
        yield World(svc, SearchService(svc.db), pool, ada, bob, eve)
    finally:
        await pool.close()


def test_the_embeddings_table_is_in_the_schema() -> None:
    assert "chat_message_embeddings" in schema_tables()
    migration = (ROOT / "schema" / "0010_chat_message_embeddings.sql").read_text()
    assert f"vector({EMBEDDING_DIMS})" in migration  # the service's dimension is the column's


async def test_search_returns_the_nearest_of_the_users_own_messages(world: World) -> None:
    chat = uuid.uuid4()
    topics = {seed: unit(seed) for seed in range(6)}
    stored: dict[int, int] = {}  # message id -> topic
    for seed, direction in topics.items():
        for i in range(3):
            mid = await world.send(world.ada, chat, f"topic {seed} message {i}")
            await world.search.store_embedding(
                **world.ada.ids(), message_id=mid, vector=near(direction, 100 * seed + i, 0.01)
            )
            stored[mid] = seed
    hits = await world.search.search_messages(**world.ada.ids(), vector=topics[4], k=3)
    assert [stored[h.id] for h in hits] == [4, 4, 4]
    assert [h.distance for h in hits] == sorted(h.distance for h in hits)
    assert all(0 <= h.distance < 0.1 for h in hits)  # other topics: near 1 (orthogonal)
    assert {h.content for h in hits} == {f"topic 4 message {i}" for i in range(3)}
    everything = await world.search.search_messages(**world.ada.ids(), vector=topics[4], k=100)
    assert len(everything) == len(stored)


async def test_search_is_confined_to_the_account_and_the_user(world: World) -> None:
    probe = unit(7)
    for who in (world.ada, world.bob, world.eve):
        mid = await world.send(who, uuid.uuid4(), f"from {who.user.email}")
        await world.search.store_embedding(**who.ids(), message_id=mid, vector=probe)
    for who in (world.ada, world.bob, world.eve):
        hits = await world.search.search_messages(**who.ids(), vector=probe, k=10)
        assert [h.content for h in hits] == [f"from {who.user.email}"]
    # another account's id with ada's user: nothing (ownership is checked in SQL)
    crossed: dict[str, Any] = {"account_id": world.eve.account.id, "user_id": world.ada.user.id}
    assert await world.search.search_messages(**crossed, vector=probe) == []


async def test_storing_needs_the_users_own_live_message(world: World) -> None:
    chat = uuid.uuid4()
    mid = await world.send(world.ada, chat, "mine")
    for who in (world.bob, world.eve):
        with pytest.raises(NotFound):
            await world.search.store_embedding(**who.ids(), message_id=mid, vector=unit(1))
    crossed: dict[str, Any] = {"account_id": world.eve.account.id, "user_id": world.ada.user.id}
    with pytest.raises(NotFound):
        await world.search.store_embedding(**crossed, message_id=mid, vector=unit(1))
    with pytest.raises(NotFound):
        await world.search.store_embedding(**world.ada.ids(), message_id=mid + 1000, vector=unit(1))
    stored = await world.search.store_embedding(**world.ada.ids(), message_id=mid, vector=unit(1))
    assert (stored.message_id, stored.chat_id) == (mid, chat)
    row = await world.pool.fetchrow(
        "SELECT account_id, chat_id FROM chat_message_embeddings WHERE message_id = $1", mid
    )
    assert row is not None and tuple(row) == (
        world.ada.account.id,
        chat,
    )  # copied from the chat, not the caller


async def test_storing_again_replaces_the_embedding(world: World) -> None:
    mid = await world.send(world.ada, uuid.uuid4(), "changing")
    await world.search.store_embedding(**world.ada.ids(), message_id=mid, vector=unit(1))
    await world.search.store_embedding(**world.ada.ids(), message_id=mid, vector=unit(2))
    hits = await world.search.search_messages(**world.ada.ids(), vector=unit(2), k=5)
    assert [h.id for h in hits] == [mid] and hits[0].distance < 1e-6


async def test_no_embedding_outlives_its_message_or_chat(world: World) -> None:
    chat = uuid.uuid4()
    mid = await world.send(world.ada, chat, "soon gone")
    await world.search.store_embedding(**world.ada.ids(), message_id=mid, vector=unit(3))
    await world.svc.delete_chat(**world.ada.ids(), chat_id=chat)
    assert await world.pool.fetchval("SELECT count(*) FROM chat_message_embeddings") == 0
    assert await world.search.search_messages(**world.ada.ids(), vector=unit(3)) == []
    with pytest.raises(NotFound):  # a deleted chat's message takes no embedding
        await world.search.store_embedding(**world.ada.ids(), message_id=mid, vector=unit(3))
    with pytest.raises(asyncpg.ForeignKeyViolationError):  # the schema refuses an orphan
        await world.pool.execute(
            "INSERT INTO chat_message_embeddings (message_id, account_id, chat_id, embedding)"
            " VALUES ($1, $2, $3, $4)",
            mid,
            world.ada.account.id,
            chat,
            unit(3),
        )


@pytest.mark.parametrize(
    ("vector", "message"),
    [
        ([1.0] * (EMBEDDING_DIMS - 1), f"must have {EMBEDDING_DIMS} numbers, not"),
        ([], f"must have {EMBEDDING_DIMS} numbers, not 0"),
        ([0.0] * EMBEDDING_DIMS, "must not be all zeros"),
        ([math.nan] + [1.0] * (EMBEDDING_DIMS - 1), "finite numbers"),
        ([math.inf] + [1.0] * (EMBEDDING_DIMS - 1), "finite numbers"),
        ([1e39] + [1.0] * (EMBEDDING_DIMS - 1), "float4's range"),
        (["1"] * EMBEDDING_DIMS, "numbers only"),
        ("not a vector", "sequence of"),
    ],
)
async def test_bad_embeddings_are_refused_before_sql(
    world: World, vector: Any, message: str
) -> None:
    mid = await world.send(world.ada, uuid.uuid4(), "x")
    with pytest.raises(InvalidInput, match=message):
        await world.search.store_embedding(**world.ada.ids(), message_id=mid, vector=vector)
    with pytest.raises(InvalidInput, match=message):
        await world.search.search_messages(**world.ada.ids(), vector=vector)
    with pytest.raises(InvalidInput, match="k must be"):
        await world.search.search_messages(**world.ada.ids(), vector=unit(1), k=SEARCH_MAX + 1)
    assert await world.pool.fetchval("SELECT count(*) FROM chat_message_embeddings") == 0
