"""The world the chat tests act in: an account, a user of it and an agent, the service they
act through, and the providers and model configs seeded for them.

One `World` for the service tests (the `world` fixture, on a migrated database of the
shared test cluster) and the reliability tests (`seed_world`, on their own cluster).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, TypedDict

import asyncpg
import pytest

from chatdb.admin import AdminService
from chatdb.database import Database
from chatdb.db.models import Account, Agent, ChatModelConfig, User
from chatdb.db.runtime import create_pool
from chatdb.service import ChatService


class Who(TypedDict):
    """Who sends a message: pass as ``**world.who`` to send_message/create_chat."""

    account_id: uuid.UUID
    user_id: uuid.UUID
    agent_id: uuid.UUID


@dataclass
class World:
    """Who acts, through which service, and the providers/configs seeded for them."""

    svc: ChatService
    account: Account
    user: User
    agent: Agent
    providers: list[str] = field(default_factory=list)
    configs: dict[str, list[uuid.UUID]] = field(default_factory=dict)  # provider -> ids

    @property
    def pool(self) -> asyncpg.Pool[Any]:
        return self.svc.db.pool

    @property
    def account_id(self) -> uuid.UUID:
        return self.account.id

    @property
    def user_id(self) -> uuid.UUID:
        return self.user.id

    @property
    def agent_id(self) -> uuid.UUID:
        return self.agent.id

    @property
    def who(self) -> Who:
        return Who(account_id=self.account.id, user_id=self.user.id, agent_id=self.agent.id)

    async def count(self, table: str) -> int:
        value: int = await self.pool.fetchval(f"SELECT count(*) FROM {table}")
        return value

    async def config(
        self, provider: str, model: str, *, default: bool = False, enabled: bool = True
    ) -> ChatModelConfig:
        return await AdminService(self.svc.db).create_model_config(
            provider=provider,
            model=model,
            display_name=model.upper(),
            context_limit=8192,
            compression_threshold=70,
            options={"temperature": 0.2},
            is_default=default,
            enabled=enabled,
        )

    async def config_with(self, **kw: Any) -> ChatModelConfig:
        """A config of provider "p" (which must exist) with the given fields changed."""
        args: dict[str, Any] = {
            "provider": "p",
            "model": "m",
            "display_name": "M",
            "context_limit": 1,
            "compression_threshold": 1,
            **kw,
        }
        return await AdminService(self.svc.db).create_model_config(**args)

    async def send(self, chat_id: uuid.UUID, text: str, mid: uuid.UUID | None = None) -> Any:
        return await self.svc.send_message(
            **self.who, chat_id=chat_id, client_message_id=mid or uuid.uuid4(), content=text
        )


async def make_world(
    svc: ChatService, account: str = "Acme", email: str = "ada@example.com", agent: str = "analyst"
) -> World:
    """An account, a user of it and an agent, acting through `svc`."""
    made = await svc.create_account(name=account)
    user = await svc.create_user(account_id=made.id, email=email)
    return World(svc, made, user, await svc.create_agent(account_id=made.id, name=agent))


async def seed_world(
    svc: ChatService,
    providers: tuple[str, ...] = ("alpha", "beta"),
    configs_per_provider: int = 2,
) -> World:
    """An account, user and agent; providers each with configs. The first config made is
    the default (the service promotes it)."""
    world = await make_world(svc, "acme", f"{uuid.uuid4().hex}@example.com", "helper")
    admin = AdminService(svc.db)
    for p in providers:
        await admin.create_provider(provider=p, display_name=p.title())
        world.providers.append(p)
        world.configs[p] = []
        for i in range(configs_per_provider):
            cfg = await admin.create_model_config(
                provider=p,
                model=f"{p}-model-{i}",
                display_name=f"{p} {i}",
                context_limit=8192,
                compression_threshold=80,
            )
            world.configs[p].append(cfg.id)
    return world


@pytest.fixture
async def world(migrated_db: str) -> AsyncIterator[World]:
    """A world on a fresh migrated database, with a pool of its own."""
    pool = await create_pool(migrated_db, min_size=1, max_size=8)
    try:
        yield await make_world(ChatService(await Database.over(pool)))
    finally:
        await pool.close()
