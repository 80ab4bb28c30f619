"""Citus (distributed PostgreSQL) as far as the tools need to know it.

A Citus coordinator keeps, beside the application's tables, the shards of its reference
tables (`<table>_<shard id>`, also in the public schema) and the extension's own views;
they are Citus's, not the migrations'. And migrations that distribute tables only where
the `citus` extension is installed (schema/0013) replay the same way in a scratch database
only when it has the extension too, with the coordinator as its own (only) node holding
the shards.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import asyncpg

HAS_CITUS = "SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus')"
SHARDS = """
    SELECT c.relname || '_' || s.shardid
    FROM pg_dist_shard s JOIN pg_class c ON c.oid = s.logicalrelid"""


async def installed(conn: asyncpg.Connection[Any]) -> bool:
    """Whether the `citus` extension is installed in the connected database."""
    return bool(await conn.fetchval(HAS_CITUS))


async def shard_names(conn: asyncpg.Connection[Any]) -> set[str]:
    """The names of the shard tables of the connected database (none without Citus)."""
    if not await installed(conn):
        return set()
    return {r[0] for r in await conn.fetch(SHARDS)}


async def make_coordinator(conn: asyncpg.Connection[Any], dsn: str) -> None:
    """Make the (new, empty) database of `conn` a one-node Citus cluster: the extension, and
    its server (`dsn`'s host and port) as coordinator holding shards."""
    parts = urlsplit(dsn)
    host, port = parts.hostname or "localhost", parts.port or 5432
    await conn.execute("CREATE EXTENSION IF NOT EXISTS citus")
    await conn.execute("SELECT citus_set_coordinator_host($1, $2)", host, port)
    await conn.execute(
        "SELECT citus_set_node_property($1, $2, 'shouldhaveshards', true)", host, port
    )
