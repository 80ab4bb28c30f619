"""The scratch database every benchmark runs in: created, migrated, seeded, dropped.

Setup uses plain SQL on purpose: it is not measured, and it should not break when the
generated API the benchmarks exercise changes shape.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from codegen import dbutil, migrate

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_DIR = ROOT / "schema"
DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"

LIST_CHAT_MESSAGES = 10_000
"""Messages in the chat the :many benchmarks page through (100 and 10,000 rows)."""


def admin_dsn() -> str:
    """DATABASE_URL, else the local default; the scratch database is created through it."""
    return os.environ.get("DATABASE_URL") or DEFAULT_DSN


redact = dbutil.redact_dsn


def chat_uuid(n: int) -> uuid.UUID:
    """Chat number n of the throughput set; pgbench computes the same value server side
    as ``lpad(to_hex(n), 32, '0')::uuid``."""
    return uuid.UUID(int=n)


@dataclass(frozen=True)
class Fixture:
    """Ids of the seeded rows the benchmarks use."""

    dsn: str
    account_id: uuid.UUID
    user_id: uuid.UUID
    agent_id: uuid.UUID
    default_config_id: uuid.UUID
    """The live default model config (provider enabled): the get-by-id target."""
    retired_config_id: uuid.UUID
    """A config whose provider is disabled: chats pointing at it fall back to the default."""
    exec_config_id: uuid.UUID
    """A soft-deleted config the :exec benchmark soft-deletes again (touches one row)."""
    list_chat_id: uuid.UUID
    """A chat with LIST_CHAT_MESSAGES messages."""
    insert_chat_id: uuid.UUID
    """The chat the insert benchmarks add messages to."""
    bulk_chat_id: uuid.UUID
    """The chat the bulk-insert benchmarks load."""
    throughput_chats: int
    """Chats chat_uuid(1) .. chat_uuid(n) exist, pointing at retired_config_id."""


@asynccontextmanager
async def scratch_database(dsn: str) -> AsyncIterator[str]:
    """Create a fresh database, apply the migrations, yield its DSN; drop it afterwards.

    The name prefix is $CHATDB_BENCH_SCRATCH_PREFIX, else chatdb_bench_ (for servers that
    only let the role create databases with certain names)."""
    prefix = os.environ.get("CHATDB_BENCH_SCRATCH_PREFIX", "chatdb_bench_")
    async with dbutil.scratch_database(dsn, prefix=prefix) as scratch:
        await asyncio.to_thread(migrate.apply, scratch, SCHEMA_DIR)
        yield scratch


async def seed(dsn: str, *, throughput_chats: int) -> Fixture:
    """Insert the rows every benchmark needs and return their ids."""
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            account_id = await conn.fetchval(
                "INSERT INTO accounts (name) VALUES ('bench') RETURNING id"
            )
            user_id = await conn.fetchval(
                "INSERT INTO users (account_id, email) VALUES ($1, 'bench@example.com')"
                " RETURNING id",
                account_id,
            )
            agent_id = await conn.fetchval(
                "INSERT INTO agents (account_id, name) VALUES ($1, 'bench') RETURNING id",
                account_id,
            )
            await conn.execute(
                "INSERT INTO chat_providers (provider, display_name, enabled) VALUES"
                " ('openai', 'OpenAI', TRUE), ('retired', 'Retired', FALSE)"
            )
            config_sql = (
                "INSERT INTO chat_model_configs (provider, model, display_name, created_by,"
                " updated_by, is_default, context_limit, compression_threshold, options,"
                " deleted, deleted_at) VALUES ($1, $2, $3, $4, $4, $5, 128000, 70,"
                ' \'{"temperature": 0.2, "tools": ["dax"]}\'::jsonb, $6,'
                " CASE WHEN $6 THEN now() END) RETURNING id"
            )
            default_config_id = await conn.fetchval(
                config_sql, "openai", "gpt-4o", "GPT-4o", user_id, True, False
            )
            retired_config_id = await conn.fetchval(
                config_sql, "retired", "old-model", "Old model", user_id, False, False
            )
            exec_config_id = await conn.fetchval(
                config_sql, "openai", "gpt-3.5", "GPT-3.5", user_id, False, True
            )
            chat_sql = (
                "INSERT INTO chats (id, account_id, user_id, agent_id, title, model_config_id)"
                " SELECT coalesce($5, gen_random_uuid()), $1, $2, $3, 'bench chat', $4"
                " RETURNING id"
            )
            list_chat_id = await conn.fetchval(
                chat_sql, account_id, user_id, agent_id, default_config_id, None
            )
            insert_chat_id = await conn.fetchval(
                chat_sql, account_id, user_id, agent_id, default_config_id, None
            )
            bulk_chat_id = await conn.fetchval(
                chat_sql, account_id, user_id, agent_id, default_config_id, None
            )
            await conn.execute(
                "INSERT INTO chats (id, account_id, user_id, agent_id, title, model_config_id)"
                " SELECT lpad(to_hex(n), 32, '0')::uuid, $1, $2, $3, 'chat ' || n, $4"
                " FROM generate_series(1, $5::int) AS n",
                account_id,
                user_id,
                agent_id,
                retired_config_id,
                throughput_chats,
            )
            # One message in ten carries a small jsonb document, so the :many benchmarks
            # decode some JSON the way a real chat history would.
            await conn.execute(
                "INSERT INTO chat_messages (account_id, chat_id, client_message_id, role,"
                " content, action, dax_attempts, model_config_id)"
                " SELECT (SELECT account_id FROM chats WHERE id = $1), $1, gen_random_uuid(),"
                " CASE WHEN n % 2 = 0 THEN 'assistant' ELSE 'user' END,"
                " 'message ' || n || repeat(' lorem ipsum', 8),"
                " CASE WHEN n % 10 = 0 THEN 'QUERY' END,"
                ' CASE WHEN n % 10 = 0 THEN \'[{"dax": "EVALUATE Sales", "ok": true}]\'::jsonb'
                " END, $2 FROM generate_series(1, $3::int) AS n",
                list_chat_id,
                default_config_id,
                LIST_CHAT_MESSAGES,
            )
            await conn.execute(
                "UPDATE chats SET message_count = $2 WHERE id = $1",
                list_chat_id,
                LIST_CHAT_MESSAGES,
            )
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()
    return Fixture(
        dsn=dsn,
        account_id=account_id,
        user_id=user_id,
        agent_id=agent_id,
        default_config_id=default_config_id,
        retired_config_id=retired_config_id,
        exec_config_id=exec_config_id,
        list_chat_id=list_chat_id,
        insert_chat_id=insert_chat_id,
        bulk_chat_id=bulk_chat_id,
        throughput_chats=throughput_chats,
    )


async def server_settings(dsn: str) -> dict[str, str]:
    """The server settings that shape the results, for the report."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1::text[])",
            [
                "server_version",
                "shared_buffers",
                "fsync",
                "synchronous_commit",
                "max_connections",
                "jit",
            ],
        )
    finally:
        await conn.close()
    out: dict[str, str] = {}
    for r in rows:
        value = r["setting"]
        if r["name"] == "shared_buffers" and r["unit"] == "8kB":
            value = f"{int(value) * 8 // 1024}MB"
        out[r["name"]] = value
    return out
