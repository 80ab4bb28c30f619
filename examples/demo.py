"""The README's example: the service, and a generated query inside your own transaction.

Run (chatdb lives in src/, beside the generator's package):
    PYTHONPATH=src DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python examples/demo.py
It creates a scratch database, applies the migrations, and drops it afterwards.
"""

from __future__ import annotations

import asyncio
import os
import uuid

from chatdb.admin import AdminService
from chatdb.database import Database
from chatdb.db import chat_messages, chats
from chatdb.db.runtime import create_pool
from chatdb.errors import DomainError
from chatdb.service import ChatService
from codegen import dbutil, migrate


async def demo(dsn: str) -> None:
    pool = await create_pool(dsn)
    db = Database(pool)  # one value: pool, retry policy, timeouts
    svc, admin = ChatService(db), AdminService(db)  # the application decides who gets admin

    account = await svc.create_account(name="Acme")
    user = await svc.create_user(account_id=account.id, email="ada@example.com")
    agent = await svc.create_agent(account_id=account.id, name="analyst")
    await admin.create_provider(provider="openai", display_name="OpenAI")
    config = await admin.create_model_config(
        provider="openai",
        model="gpt-4o",
        display_name="GPT-4o",
        context_limit=128_000,
        compression_threshold=70,
        options={"temperature": 0.2},
    )
    print(f"model config {config.model!r} is_default={config.is_default}")

    chat_id = uuid.uuid4()
    sent = await svc.send_message(
        account_id=account.id,
        user_id=user.id,
        agent_id=agent.id,
        chat_id=chat_id,
        client_message_id=uuid.uuid4(),
        content="What were sales last quarter?",
    )
    print(f"created_chat={sent.created_chat} title={sent.chat.title!r}")
    print(f"message #{sent.message.id} role={sent.message.role} count={sent.chat.message_count}")

    # Generated queries compose in your own transaction: any asyncpg executor works.
    async with pool.acquire() as conn, conn.transaction():
        chat = await chats.get_chat_by_id_for_update(conn, id=chat_id, account_id=account.id)
        assert chat is not None
        total = await chat_messages.count_chat_messages(
            conn, account_id=chat.account_id, chat_id=chat_id
        )
        print(f"locked chat {chat.title!r}: {total} message(s), status={chat.status}")

    deleted = await admin.delete_provider(provider="openai")
    print(f"deleted provider; soft-deleted configs: {deleted.soft_deleted_configs}")
    history = await svc.list_messages(account_id=account.id, user_id=user.id, chat_id=chat_id)
    print(f"history still reads: {[m.content for m in history.messages]}")
    try:
        await svc.resolve_model_for_turn(account_id=account.id, user_id=user.id, chat_id=chat_id)
    except DomainError as exc:
        print(f"{type(exc).__name__} ({exc.status}): {exc.message}")
    await pool.close()


async def main() -> None:
    server = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    async with dbutil.scratch_database(server, prefix="chatdb_demo_") as dsn:
        await asyncio.to_thread(migrate.apply, dsn, "schema")
        await demo(dsn)


if __name__ == "__main__":
    asyncio.run(main())
