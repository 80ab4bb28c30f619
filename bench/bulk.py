"""Part 3: loading many messages: ``:copyfrom`` against ``:batchexec`` against a loop of
single ``:one`` inserts.

Each method loads into an emptied chat_messages table (TRUNCATE and CHECKPOINT before every
run, outside the timing) inside one transaction, so every method pays one commit and the
loop the target compares against is not charged one fsync per row; the autocommitted loop
(a commit per row, what a naive import does) is shown for reference. Methods alternate
run by run.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg

from bench.scratch import Fixture
from bench.timing import Stats
from chatdb.db import chat_messages, runtime
from chatdb.db.chat_messages import CopyChatMessagesParams, InsertChatMessagesBatchParams

COPY = ":copyfrom (copy_chat_messages)"
BATCH = ":batchexec (insert_chat_messages_batch)"
LOOP = "loop of :one (insert_chat_message), one transaction"
LOOP_AUTOCOMMIT = "loop of :one, autocommit (a commit per row)"
COPY_NO_FK = "diagnostic: :copyfrom with the FK triggers off"
SHORT = {
    COPY: "COPY\n(:copyfrom)",
    BATCH: ":batchexec",
    LOOP: "loop of :one\n(1 transaction)",
    LOOP_AUTOCOMMIT: "loop of :one\n(autocommit)",
    COPY_NO_FK: "COPY, FK checks off\n(diagnostic)",
}


@dataclass(frozen=True)
class BulkResult:
    method: str
    rows: int
    """Rows loaded per measured run."""
    seconds: Stats
    """Seconds per run (Stats holds them in the samples; units are seconds here)."""

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds.median


@dataclass(frozen=True)
class BulkReport:
    results: list[BulkResult]
    target_rows: int
    notes: list[str]


def _messages(fx: Fixture, n: int) -> list[CopyChatMessagesParams]:
    return [
        CopyChatMessagesParams(
            account_id=fx.account_id,
            chat_id=fx.bulk_chat_id,
            client_message_id=uuid.uuid4(),
            role="user" if i % 2 else "assistant",
            content=f"message {i}: how many orders shipped last week per region?",
            action=None,
            dax_attempts=None,
            final_dax=None,
            resolution_note=None,
            error=None,
            model_config_id=fx.default_config_id,
        )
        for i in range(n)
    ]


class _Rollback(Exception):
    pass


async def _connection(fx: Fixture, notes: list[str]) -> asyncpg.Connection[Any]:
    """A runtime connection if COPY works on one, else a plain asyncpg connection.

    copy_records_to_table encodes every column in binary; a connection whose jsonb codec
    is text-only (runtime.init_connection installs one) cannot COPY into a table with a
    jsonb column, even when the values are all NULL.
    """
    conn = await runtime.connect(fx.dsn)
    probe = _messages(fx, 1)
    try:
        async with conn.transaction():
            await chat_messages.copy_chat_messages(conn, rows=probe)
            raise _Rollback
    except _Rollback:
        return conn
    except asyncpg.exceptions.InternalClientError as exc:
        await conn.close()
        notes.append(
            "copy_chat_messages fails on a connection from chatdb.db.runtime.connect()/"
            f"create_pool(): `{exc}` (the runtime's jsonb codec is text-only and COPY is "
            "binary). Part 3 therefore runs all three methods on a plain asyncpg "
            "connection; see the report for the fix."
        )
        plain: asyncpg.Connection[Any] = await asyncpg.connect(fx.dsn)
        return plain


async def run(
    fx: Fixture,
    *,
    rows: int,
    loop_rows: int,
    autocommit_rows: int,
    reps: int,
    log: Callable[[str], None],
) -> BulkReport:
    notes: list[str] = []
    conn = await _connection(fx, notes)
    try:
        data = _messages(fx, rows)
        batch = [
            InsertChatMessagesBatchParams(
                m.account_id, m.chat_id, m.client_message_id, m.role, m.content, m.model_config_id
            )
            for m in data
        ]

        async def copy(n: int) -> None:
            await chat_messages.copy_chat_messages(conn, rows=data[:n])

        async def batchexec(n: int) -> None:
            await chat_messages.insert_chat_messages_batch(conn, params=batch[:n])

        async def loop(n: int) -> None:
            for m in data[:n]:
                await chat_messages.insert_chat_message(
                    conn,
                    account_id=m.account_id,
                    chat_id=m.chat_id,
                    client_message_id=m.client_message_id,
                    role=m.role,
                    content=m.content,
                    action=None,
                    dax_attempts=None,
                    final_dax=None,
                    resolution_note=None,
                    error=None,
                    model_config_id=m.model_config_id,
                )

        async def copy_no_fk(n: int) -> None:
            await conn.execute("SET LOCAL session_replication_role = replica")
            await chat_messages.copy_chat_messages(conn, rows=data[:n])

        methods: dict[str, tuple[int, Callable[[int], Awaitable[None]]]] = {
            COPY: (rows, copy),
            BATCH: (rows, batchexec),
            LOOP: (loop_rows, loop),
            LOOP_AUTOCOMMIT: (autocommit_rows, loop),
        }
        if await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"):
            methods[COPY_NO_FK] = (rows, copy_no_fk)
            notes.append(
                f"{COPY_NO_FK}: the same COPY with session_replication_role = replica, which "
                "skips the per-row foreign-key checks on chat_id and model_config_id; not a "
                "way to load data, a measure of what those checks cost the server."
            )
        # Warm up: prepare each method's statement on a few rows, rolled back.
        for _, fn in methods.values():
            try:
                async with conn.transaction():
                    await fn(10)
                    raise _Rollback
            except _Rollback:
                pass
        samples: dict[str, list[float]] = {name: [] for name in methods}
        names = list(methods)
        for r in range(reps):
            shift = r % len(names)
            for name in names[shift:] + names[:shift]:
                n, fn = methods[name]
                await conn.execute("TRUNCATE chat_message_embeddings, chat_messages")
                await conn.execute("CHECKPOINT")
                start = time.perf_counter()
                if name == LOOP_AUTOCOMMIT:
                    await fn(n)
                else:
                    async with conn.transaction():
                        await fn(n)
                samples[name].append(time.perf_counter() - start)
        results = [
            BulkResult(name, n, Stats(tuple(samples[name]))) for name, (n, _) in methods.items()
        ]
        for res in results:
            log(f"  {res.method:42} {res.rows:>7,} rows  {res.rows_per_s:>10,.0f} rows/s")
        await conn.execute("TRUNCATE chat_message_embeddings, chat_messages")
    finally:
        await conn.close()
    notes.append(
        f"COPY and :batchexec load {rows:,} rows per run; the loops are timed on fewer rows "
        f"({loop_rows:,} in one transaction, {autocommit_rows:,} autocommitted) and compared "
        "by rows/s: their per-row cost is flat (one round trip, and for autocommit one "
        "commit, per row). Every run starts from an empty table after a CHECKPOINT."
    )
    return BulkReport(results, rows, notes)


def profile_work(fx: Fixture, *, rows: int) -> Callable[[], Awaitable[object]]:
    """COPY `rows` messages, then insert a tenth as many one by one; both rolled back."""

    async def work() -> object:
        conn = await _connection(fx, [])
        try:
            data = _messages(fx, rows)
            for part in ("copy", "loop"):
                try:
                    async with conn.transaction():
                        if part == "copy":
                            await chat_messages.copy_chat_messages(conn, rows=data)
                        else:
                            for m in data[: rows // 10]:
                                await chat_messages.insert_chat_message(
                                    conn,
                                    account_id=m.account_id,
                                    chat_id=m.chat_id,
                                    client_message_id=m.client_message_id,
                                    role=m.role,
                                    content=m.content,
                                    action=None,
                                    dax_attempts=None,
                                    final_dax=None,
                                    resolution_note=None,
                                    error=None,
                                    model_config_id=m.model_config_id,
                                )
                        raise _Rollback
                except _Rollback:
                    pass
        finally:
            await conn.close()
        return None

    return work
