"""Parts 1 and 2: per-call cost of the generated functions against raw asyncpg (the floor),
aiosql and the SQLAlchemy 2.x async ORM, on the same operations and the same SQL.

Contenders, all on one already-open connection each, one round trip per call:

- ``raw asyncpg``: ``conn.fetchrow/fetch/execute`` with the generated module's own SQL
  constant, on a connection with the runtime codecs installed (so JSON decoding costs
  the same): what a careful hand-written data layer does.
- ``generated``: the chatdb.db function.
- ``aiosql``: the same statements (bench/peers/aiosql_queries.sql) through aiosql's
  asyncpg adapter; it returns asyncpg Records.
- ``SQLAlchemy ORM``: mapped classes (bench/peers/sqlalchemy_orm.py), one AsyncSession per
  operation (the documented unit-of-work pattern) bound to a connection in AUTOCOMMIT
  mode: no pool checkout and no BEGIN/COMMIT round trips, its best case.
"""

from __future__ import annotations

import itertools
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosql
import asyncpg
from sqlalchemy import false, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, async_sessionmaker, create_async_engine

from bench.peers.sqlalchemy_orm import ChatMessageRow, ChatModelConfigRow
from bench.scratch import Fixture
from bench.timing import Op, Stats, interleaved
from chatdb.db import chat_messages, chatmodelconfigs, runtime

RAW = "raw asyncpg"
GENERATED = "generated"
AIOSQL = "aiosql"
SQLALCHEMY = "SQLAlchemy ORM"
CONTENDERS = (RAW, GENERATED, AIOSQL, SQLALCHEMY)

AIOSQL_FILE = Path(__file__).resolve().parent / "peers" / "aiosql_queries.sql"
CONTENT = "How many orders shipped last week?"


@dataclass(frozen=True)
class Case:
    """One benchmarked operation."""

    key: str
    label: str
    kind: str
    """"single" (:one and :exec: one row or none) or "many" (:many lists): selects the
    target bound."""
    rounds: int
    batch: int


def cases(quick: bool) -> list[Case]:
    """Many short rounds rather than few long ones: the per-round ratios then track drift
    (and other processes on the 2 cores) closely."""
    r = 15 if quick else 80
    return [
        Case("get_by_id", "get-by-id (:one)", "single", r, 20 if quick else 50),
        Case("list_100", "list 100 rows (:many)", "many", r, 5 if quick else 10),
        Case("list_10000", "list 10,000 rows (:many)", "many", 7 if quick else 25, 1),
        Case("insert_returning", "insert RETURNING (:one)", "single", r, 20 if quick else 40),
        Case("exec", "update (:exec)", "single", r, 20 if quick else 40),
    ]


@dataclass(frozen=True)
class CaseResult:
    case: Case
    stats: dict[str, Stats]


@dataclass
class Peers:
    """The open connections and loaded peers all cases share."""

    conn: asyncpg.Connection[Any]
    queries: Any  # aiosql.Queries: its query methods are created at run time
    sa_conn: AsyncConnection
    sessions: async_sessionmaker[Any]


@asynccontextmanager
async def open_peers(dsn: str) -> AsyncIterator[Peers]:
    conn = await runtime.connect(dsn)
    engine = create_async_engine(
        dsn.replace("postgresql://", "postgresql+asyncpg://", 1),
        isolation_level="AUTOCOMMIT",
        pool_size=1,
        max_overflow=0,
    )
    try:
        async with engine.connect() as sa_conn:
            queries = aiosql.from_path(AIOSQL_FILE, "asyncpg")
            sessions = async_sessionmaker(bind=sa_conn, expire_on_commit=False)
            yield Peers(conn, queries, sa_conn, sessions)
    finally:
        await engine.dispose()
        await conn.close()


def _normalise(sql: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"--[^\n]*", "", sql)).strip().rstrip(";")


def sql_mismatches(queries: Any) -> list[str]:
    """aiosql statements whose text differs from the generated module's (should be none)."""
    pairs = {
        "get_chat_model_config_by_id": chatmodelconfigs.GET_CHAT_MODEL_CONFIG_BY_ID,
        "list_chat_messages": chat_messages.LIST_CHAT_MESSAGES,
        "insert_chat_message": chat_messages.INSERT_CHAT_MESSAGE,
        "delete_chat_model_config_by_id": chatmodelconfigs.DELETE_CHAT_MODEL_CONFIG_BY_ID,
    }
    return [
        name
        for name, sql in pairs.items()
        if _normalise(getattr(queries, name).sql) != _normalise(sql)
    ]


def _fresh_ids() -> Callable[[], uuid.UUID]:
    """A cheap supply of new client_message_ids: a random 64-bit prefix and a counter
    (uuid4 costs more, and would be charged to every contender alike, diluting the ratios)."""
    prefix = uuid.uuid4().int & ~((1 << 64) - 1)
    counter = itertools.count()
    return lambda: uuid.UUID(int=prefix | next(counter))


def build(case: Case, fx: Fixture, p: Peers) -> dict[str, Op]:
    """The four contenders of one case, as zero-argument coroutine functions."""
    conn, q, sessions = p.conn, p.queries, p.sessions
    if case.key == "get_by_id":
        cfg_id = fx.default_config_id
        sql = chatmodelconfigs.GET_CHAT_MODEL_CONFIG_BY_ID

        async def raw() -> object:
            return await conn.fetchrow(sql, cfg_id)

        async def gen() -> object:
            return await chatmodelconfigs.get_chat_model_config_by_id(conn, id=cfg_id)

        async def aio() -> object:
            return await q.get_chat_model_config_by_id(conn, id=cfg_id)

        stmt = select(ChatModelConfigRow).where(
            ChatModelConfigRow.id == cfg_id, ChatModelConfigRow.deleted == false()
        )

        async def orm() -> object:
            async with sessions() as s:
                return await s.scalar(stmt)

        return {RAW: raw, GENERATED: gen, AIOSQL: aio, SQLALCHEMY: orm}

    if case.key in ("list_100", "list_10000"):
        chat_id, acc = fx.list_chat_id, fx.account_id
        n = 100 if case.key == "list_100" else 10_000
        sql = chat_messages.LIST_CHAT_MESSAGES

        async def raw() -> object:
            return await conn.fetch(sql, acc, chat_id, 0, n)

        async def gen() -> object:
            return await chat_messages.list_chat_messages(
                conn, account_id=acc, chat_id=chat_id, after_id=0, page_size=n
            )

        async def aio() -> object:
            return [
                r
                async for r in q.list_chat_messages(
                    conn, account_id=acc, chat_id=chat_id, after_id=0, page_size=n
                )
            ]

        stmt_many = (
            select(ChatMessageRow)
            .where(
                ChatMessageRow.account_id == acc,
                ChatMessageRow.chat_id == chat_id,
                ChatMessageRow.id > 0,
            )
            .order_by(ChatMessageRow.id)
            .limit(n)
        )

        async def orm() -> object:
            async with sessions() as s:
                return (await s.scalars(stmt_many)).all()

        return {RAW: raw, GENERATED: gen, AIOSQL: aio, SQLALCHEMY: orm}

    if case.key == "insert_returning":
        chat_id, cfg_id, acc = fx.insert_chat_id, fx.default_config_id, fx.account_id
        sql = chat_messages.INSERT_CHAT_MESSAGE
        next_raw, next_gen, next_aio, next_orm = (_fresh_ids() for _ in range(4))

        async def raw() -> object:
            return await conn.fetchrow(
                sql, acc, chat_id, next_raw(), "user", CONTENT, None, None, None, None, None, cfg_id
            )

        async def gen() -> object:
            return await chat_messages.insert_chat_message(
                conn,
                account_id=acc,
                chat_id=chat_id,
                client_message_id=next_gen(),
                role="user",
                content=CONTENT,
                action=None,
                dax_attempts=None,
                final_dax=None,
                resolution_note=None,
                error=None,
                model_config_id=cfg_id,
            )

        async def aio() -> object:
            return await q.insert_chat_message(
                conn,
                account_id=acc,
                chat_id=chat_id,
                client_message_id=next_aio(),
                role="user",
                content=CONTENT,
                action=None,
                dax_attempts=None,
                final_dax=None,
                resolution_note=None,
                error=None,
                model_config_id=cfg_id,
            )

        async def orm() -> object:
            stmt = (
                pg_insert(ChatMessageRow)
                .values(
                    account_id=acc,
                    chat_id=chat_id,
                    client_message_id=next_orm(),
                    role="user",
                    content=CONTENT,
                    action=None,
                    dax_attempts=None,
                    final_dax=None,
                    resolution_note=None,
                    error=None,
                    model_config_id=cfg_id,
                )
                .on_conflict_do_nothing(
                    index_elements=[
                        ChatMessageRow.account_id,
                        ChatMessageRow.chat_id,
                        ChatMessageRow.client_message_id,
                    ]
                )
                .returning(ChatMessageRow)
            )
            async with sessions.begin() as s:
                return await s.scalar(stmt)

        return {RAW: raw, GENERATED: gen, AIOSQL: aio, SQLALCHEMY: orm}

    if case.key == "exec":
        cfg_id = fx.exec_config_id
        sql = chatmodelconfigs.DELETE_CHAT_MODEL_CONFIG_BY_ID

        async def raw() -> object:
            return await conn.execute(sql, cfg_id)

        async def gen() -> object:
            await chatmodelconfigs.delete_chat_model_config_by_id(conn, id=cfg_id)
            return None

        async def aio() -> object:
            return await q.delete_chat_model_config_by_id(conn, id=cfg_id)

        stmt_upd = (
            update(ChatModelConfigRow)
            .where(ChatModelConfigRow.id == cfg_id)
            .values(deleted=True, deleted_at=func.now(), updated_at=func.now())
        )

        async def orm() -> object:
            async with sessions.begin() as s:
                return await s.execute(stmt_upd)

        return {RAW: raw, GENERATED: gen, AIOSQL: aio, SQLALCHEMY: orm}

    raise ValueError(f"unknown case {case.key}")


def _row_id(row: Any) -> object:
    return row["id"] if isinstance(row, asyncpg.Record) else row.id


async def check_same_results(fx: Fixture, p: Peers) -> None:
    """Every contender must return the same rows, or the comparison means nothing."""
    for case in cases(quick=True):
        if case.key not in ("get_by_id", "list_100"):
            continue
        ids: dict[str, list[object]] = {}
        for name, op in build(case, fx, p).items():
            res: Any = await op()
            rows = list(res) if case.key == "list_100" else [res]
            ids[name] = [_row_id(r) for r in rows]
        bad = [name for name, got in ids.items() if got != ids[RAW] or not got]
        if bad:
            raise AssertionError(f"{case.label}: {bad} returned different rows than {RAW}")


async def run(fx: Fixture, quick: bool, log: Callable[[str], None]) -> list[CaseResult]:
    results: list[CaseResult] = []
    async with open_peers(fx.dsn) as p:
        mismatched = sql_mismatches(p.queries)
        if mismatched:
            raise AssertionError(f"aiosql SQL differs from the generated SQL: {mismatched}")
        await check_same_results(fx, p)
        for case in cases(quick):
            ops = build(case, fx, p)
            stats = await interleaved(
                ops, rounds=case.rounds, batch=case.batch, warmup=max(3, case.batch // 2)
            )
            results.append(CaseResult(case, stats))
            log(
                f"  {case.label:28} "
                + "  ".join(f"{n}={s.median:,.1f}µs" for n, s in stats.items())
            )
    return results


def profile_work(fx: Fixture, key: str, contender: str, seconds: float) -> Op:
    """Run one contender of one case back to back for `seconds` (for the profiler)."""

    async def work() -> object:
        case = next(c for c in cases(quick=False) if c.key == key)
        async with open_peers(fx.dsn) as p:
            op = build(case, fx, p)[contender]
            await op()
            end = time.perf_counter() + seconds
            while time.perf_counter() < end:
                await op()
        return None

    return work
