"""Migration 0007 (tenant keys, chat tombstones) beside a busy service, and its undo.

0007 was written blocking (unique constraints, foreign keys and indexes built under
exclusive locks); it runs lock-safe now. The code deployed while it runs is the code
from before it (teams migrate first, deploy after), so the writers here send messages
with the statements the service used at 0006: create the chat if missing, lock it,
insert the message, bump the chat's counter.
"""

from __future__ import annotations

import asyncio
import uuid

import asyncpg

from codegen import drift, migrate
from tests.conftest import ROOT, migration_ids

SCHEMA = ROOT / "schema"
MIGRATION = "0007_tenant_keys_chat_tombstones"
BEFORE = migration_ids()[migration_ids().index(MIGRATION) - 1]

_SEND_AT_0006 = [  # the send transaction of the service as deployed at 0006
    "INSERT INTO chats (id, account_id, user_id, agent_id, title) VALUES ($1, $2, $3, $4, 't')"
    " ON CONFLICT (id) DO NOTHING",
    "SELECT id FROM chats WHERE id = $1 AND account_id = $2 AND user_id = $3 AND agent_id = $4"
    " FOR UPDATE",
]
_INSERT = (
    "INSERT INTO chat_messages (chat_id, client_message_id, role, content)"
    " VALUES ($1, $2, 'user', 'hi') ON CONFLICT DO NOTHING"
)
_TOUCH = "UPDATE chats SET message_count = message_count + 1, last_active = now() WHERE id = $1"


async def _tenants(conn: asyncpg.Connection[asyncpg.Record]) -> tuple[uuid.UUID, ...]:
    """Two accounts, a user and an agent in each; returns (account, user, agent, other user)."""
    ids = [uuid.uuid4() for _ in range(6)]
    acc, usr, agt, acc2, usr2, agt2 = ids
    for a, u, g in ((acc, usr, agt), (acc2, usr2, agt2)):
        await conn.execute("INSERT INTO accounts (id, name) VALUES ($1, $2)", a, str(a))
        await conn.execute(
            "INSERT INTO users (id, account_id, email) VALUES ($1, $2, $3)", u, a, str(u)
        )
        await conn.execute("INSERT INTO agents (id, account_id, name) VALUES ($1, $2, 'a')", g, a)
    return acc, usr, agt, usr2


async def _deadlocks(conn: asyncpg.Connection[asyncpg.Record]) -> int:
    await conn.execute("SELECT pg_stat_clear_snapshot()")
    n: int = await conn.fetchval(
        "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
    )
    return n


async def _busy_while(
    dsn: str, who: tuple[uuid.UUID, ...], change: list[str], senders: int = 8
) -> tuple[list[uuid.UUID], list[BaseException], list[list[str]]]:
    """Senders write at full rate while `change` ("apply"/"rollback" of 0007) runs."""
    acc, usr, agt = who[:3]
    acked: list[uuid.UUID] = []
    errors: list[BaseException] = []
    done: list[list[str]] = []
    stop = asyncio.Event()
    pool = await asyncpg.create_pool(dsn, min_size=senders, max_size=senders)

    async def sender() -> None:
        n = 0
        chat = uuid.uuid4()
        while not stop.is_set():
            chat = uuid.uuid4() if n % 4 == 0 else chat
            mid = uuid.uuid4()
            try:
                async with pool.acquire() as conn, conn.transaction():
                    await conn.execute(_SEND_AT_0006[0], chat, acc, usr, agt)
                    await conn.fetchval(_SEND_AT_0006[1], chat, acc, usr, agt)
                    await conn.execute(_INSERT, chat, mid)
                    await conn.execute(_TOUCH, chat)
            except Exception as exc:
                errors.append(exc)
            else:
                acked.append(mid)
            n += 1

    def run() -> None:
        for step in change:
            act = migrate.apply if step == "apply" else migrate.rollback
            done.append(act(dsn, SCHEMA, MIGRATION, lock_timeout=30.0))

    tasks = [asyncio.create_task(sender()) for _ in range(senders)]
    try:
        await asyncio.sleep(0.3)
        await asyncio.to_thread(run)
        await asyncio.sleep(0.3)
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        await pool.close()
    return acked, errors, done


async def test_0007_applies_and_rolls_back_beside_a_busy_service(empty_db: str) -> None:
    """Apply, roll back and apply 0007 while 8 writers send at full rate: no deadlock, no
    writer error, nothing lost, the schema is what a quiet apply gives (drift), and the
    cross-tenant chat made before it is deleted."""
    migrate.apply(empty_db, SCHEMA, BEFORE)
    conn = await asyncpg.connect(empty_db)
    try:
        who = await _tenants(conn)
        mixed = uuid.uuid4()  # a chat of account 1 with account 2's user: the hole 0007 closes
        await conn.execute(
            "INSERT INTO chats (id, account_id, user_id, agent_id) VALUES ($1, $2, $3, $4)",
            mixed,
            who[0],
            who[3],
            who[2],
        )
        before = await _deadlocks(conn)
        acked, errors, done = await _busy_while(empty_db, who, ["apply", "rollback", "apply"])
        await asyncio.sleep(1.0)  # statistics are flushed at most once a second
        deadlocks = await _deadlocks(conn) - before
        stored = await conn.fetchval(
            "SELECT count(*) FROM chat_messages WHERE client_message_id = ANY($1::uuid[])", acked
        )
        invalid = await conn.fetch(
            "SELECT conname FROM pg_constraint WHERE NOT convalidated"
            " UNION ALL SELECT indexrelid::regclass::text FROM pg_index WHERE NOT indisvalid"
        )
        left = await conn.fetchval("SELECT count(*) FROM chats WHERE id = $1", mixed)
    finally:
        await conn.close()
    assert done == [[MIGRATION]] * 3
    assert errors == [] and deadlocks == 0
    assert len(acked) > 100 and stored == len(acked)
    assert invalid == [] and left == 0
    assert await drift.drift(empty_db, SCHEMA) == [
        f"migration {m}: pending (not applied)" for m in _after()
    ]


def _after() -> list[str]:
    ids = migration_ids()
    return ids[ids.index(MIGRATION) + 1 :]
