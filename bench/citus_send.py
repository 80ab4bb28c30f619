"""The service's send on a Citus cluster (coordinator + 2 workers) vs one PostgreSQL.

    python -m bench.citus_send --single DSN --citus DSN [--seconds 10] [--clients 8 32]

Both databases must be migrated (`codegen migrate apply`; on the coordinator that
distributes the tables). Each client sends, one after another, to its own chat of one of
64 accounts (a fresh client_message_id each time), through `ChatService.send_message` on a
pool of as many connections as clients. Then a skewed load on the Citus database (one
account gets half of 4,000 messages, 63 share the rest) and the rows of chat_messages per
node. Prints a Markdown report with the machine's load average before and after each run:
on a shared machine the numbers are only comparable to each other.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from typing import Any

from chatdb.admin import AdminService
from chatdb.database import Database
from chatdb.db.runtime import create_pool
from chatdb.service import ChatService

ACCOUNTS = 64
SKEWED = 4_000


async def _world(svc: ChatService) -> list[dict[str, uuid.UUID]]:
    admin = AdminService(svc.db)
    provider = f"p{uuid.uuid4().hex[:8]}"
    await admin.create_provider(provider=provider, display_name="P")
    await admin.create_model_config(
        provider=provider, model="m", display_name="M", context_limit=1,
        compression_threshold=1, is_default=True,
    )  # fmt: skip
    out = []
    for n in range(ACCOUNTS):
        acc = await svc.create_account(name=f"a{n}")
        usr = await svc.create_user(account_id=acc.id, email=f"u{n}@x")
        agt = await svc.create_agent(account_id=acc.id, name="g")
        out.append({"account_id": acc.id, "user_id": usr.id, "agent_id": agt.id})
    return out


async def _client(svc: ChatService, who: dict[str, uuid.UUID], until: float) -> int:
    chat, sent = uuid.uuid4(), 0
    while time.monotonic() < until:
        await svc.send_message(
            account_id=who["account_id"], user_id=who["user_id"], agent_id=who["agent_id"],
            chat_id=chat, client_message_id=uuid.uuid4(), content="how many orders?",
        )  # fmt: skip
        sent += 1
    return sent


async def send_rate(dsn: str, clients: int, seconds: float) -> tuple[float, str, str]:
    """(sends per second, load average before, after)."""
    pool = await create_pool(dsn, min_size=clients, max_size=clients)
    try:
        svc = ChatService(await Database.over(pool))
        worlds = await _world(svc)
        before = _load()
        start = time.monotonic()
        counts = await asyncio.gather(
            *(_client(svc, worlds[i % ACCOUNTS], start + seconds) for i in range(clients))
        )
        elapsed = time.monotonic() - start
        return sum(counts) / elapsed, before, _load()
    finally:
        await pool.close()


async def skewed_rows_per_node(dsn: str) -> list[tuple[Any, ...]]:
    """Half of SKEWED messages to one account, the rest spread; rows per node after."""
    pool = await create_pool(dsn, min_size=8, max_size=8)
    try:
        svc = ChatService(await Database.over(pool))
        worlds = await _world(svc)
        plan = [worlds[0] if n % 2 == 0 else worlds[1 + n % (ACCOUNTS - 1)] for n in range(SKEWED)]

        async def send(who: dict[str, uuid.UUID]) -> None:
            await svc.send_message(
                account_id=who["account_id"], user_id=who["user_id"], agent_id=who["agent_id"],
                chat_id=uuid.UUID(int=who["account_id"].int ^ 1), client_message_id=uuid.uuid4(),
                content="skewed",
            )  # fmt: skip

        for i in range(0, SKEWED, 8):
            await asyncio.gather(*(send(w) for w in plan[i : i + 8]))
        heavy = worlds[0]["account_id"]
        rows = await pool.fetch(
            "SELECT p.nodeport, sum(p.result::bigint) AS messages, count(*) AS shards,"
            " bool_or(p.shardid = get_shard_id_for_distribution_column('chat_messages', $1::uuid))"
            " AS has_heavy_account"
            " FROM run_command_on_placements('chat_messages', 'SELECT count(*) FROM %s') p"
            " GROUP BY p.nodeport ORDER BY p.nodeport",
            heavy,
        )
        return [tuple(r) for r in rows]
    finally:
        await pool.close()


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


async def main(args: argparse.Namespace) -> None:
    print(f"# Send on Citus (coordinator + 2 workers) vs one PostgreSQL, {os.cpu_count()} cores\n")
    print("| target | clients | sends/s | load avg before | load avg after |")
    print("|---|---|---|---|---|")
    for clients in args.clients:
        for name, dsn in (("single node", args.single), ("Citus, 3 nodes", args.citus)):
            rate, before, after = await send_rate(dsn, clients, args.seconds)
            print(f"| {name} | {clients} | {rate:,.0f} | {before} | {after} |", flush=True)
    print(f"\nRows of chat_messages per node after a skewed load ({SKEWED:,} sends, half to one")
    print("account), on top of the rows the runs above wrote:\n")
    print("| node port | messages | shards | holds the heavy account |\n|---|---|---|---|")
    for port, messages, shards, heavy in await skewed_rows_per_node(args.citus):
        print(f"| {port} | {messages:,} | {shards} | {'yes' if heavy else ''} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--single", required=True)
    parser.add_argument("--citus", required=True)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, nargs="*", default=[8, 32])
    asyncio.run(main(parser.parse_args()))
