"""Part 4: "send a message" throughput with 1, 8 and 32 concurrent clients, against pgbench
running the same statements in the same transaction shape (the database-bound ceiling).

The pgbench script is not written by hand: one send is run through a recording pool, and
every statement it sends (SQL text and arguments) is turned into a pgbench command, the
arguments mapped to pgbench variables. Whatever the service does, pgbench does the same.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import resource
import shutil
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, cast

import asyncpg

from bench.scratch import Fixture, chat_uuid
from chatdb.db import accounts, chat_messages, chat_providers, chatmodelconfigs, chats, runtime
from chatdb.service import ChatService

CONTENT = "How many orders shipped last week, per region?"


class SendMessage(Protocol):
    def __call__(
        self,
        *,
        account_id: uuid.UUID,
        user_id: uuid.UUID,
        agent_id: uuid.UUID,
        chat_id: uuid.UUID,
        client_message_id: uuid.UUID,
        content: str,
        role: str = "user",
    ) -> Awaitable[object]: ...


SERVICE_NAME = "`chatdb.service.ChatService.send_message`"


def make_service(pool: asyncpg.Pool[Any]) -> SendMessage:
    """The send-message implementation under test, on `pool`."""
    return ChatService(pool).send_message


# --- recording one send: the statements pgbench and the raw floor replay ------------


@dataclass
class Recording:
    statements: list[tuple[str, str, tuple[Any, ...]]] = field(default_factory=list)
    """(asyncpg method, SQL, arguments) of every statement, in order."""
    transactions: list[dict[str, Any]] = field(default_factory=list)
    chat_id: uuid.UUID = field(default_factory=uuid.uuid4)
    client_message_id: uuid.UUID = field(default_factory=uuid.uuid4)


class _RecordingConnection:
    """Passes everything through to a real connection, noting each statement sent."""

    def __init__(self, conn: Any, rec: Recording) -> None:
        self._conn = conn
        self._rec = rec

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def transaction(self, **kwargs: Any) -> Any:
        self._rec.transactions.append(kwargs)
        return self._conn.transaction(**kwargs)

    async def _run(self, method: str, query: str, args: tuple[Any, ...], kw: Any) -> Any:
        self._rec.statements.append((method, query, args))
        return await getattr(self._conn, method)(query, *args, **kw)

    async def execute(self, query: str, *args: Any, **kw: Any) -> Any:
        return await self._run("execute", query, args, kw)

    async def fetch(self, query: str, *args: Any, **kw: Any) -> Any:
        return await self._run("fetch", query, args, kw)

    async def fetchrow(self, query: str, *args: Any, **kw: Any) -> Any:
        return await self._run("fetchrow", query, args, kw)

    async def fetchval(self, query: str, *args: Any, **kw: Any) -> Any:
        return await self._run("fetchval", query, args, kw)


class _RecordingAcquire:
    def __init__(self, pool: asyncpg.Pool[Any], rec: Recording) -> None:
        self._pool = pool
        self._rec = rec
        self._conn: Any = None

    async def __aenter__(self) -> _RecordingConnection:
        self._conn = await self._pool.acquire()
        return _RecordingConnection(self._conn, self._rec)

    async def __aexit__(self, *exc: object) -> None:
        await self._pool.release(self._conn)


class _RecordingPool(_RecordingConnection):
    """A pool whose connections record; pool-level queries record too."""

    def __init__(self, pool: asyncpg.Pool[Any], rec: Recording) -> None:
        super().__init__(pool, rec)
        self._pool = pool

    def acquire(self, **kwargs: Any) -> _RecordingAcquire:
        return _RecordingAcquire(self._pool, self._rec)


async def record_send(fx: Fixture) -> Recording:
    """Run one send of the service on an existing chat through a recording pool."""
    rec = Recording(chat_id=chat_uuid(1))
    pool = await runtime.create_pool(fx.dsn, min_size=1, max_size=1)
    try:
        send = make_service(cast("asyncpg.Pool[Any]", _RecordingPool(pool, rec)))
        await send(
            account_id=fx.account_id,
            user_id=fx.user_id,
            agent_id=fx.agent_id,
            chat_id=rec.chat_id,
            client_message_id=rec.client_message_id,
            content=CONTENT,
            role="user",
        )
    finally:
        await pool.close()
    if len(rec.transactions) != 1:
        raise AssertionError(f"expected one transaction per send, saw {len(rec.transactions)}")
    return rec


def statement_names(rec: Recording) -> list[str]:
    """The generated query behind each recorded statement (by its SQL constant's name)."""
    known: dict[str, str] = {}
    for module in (accounts, chat_messages, chat_providers, chatmodelconfigs, chats):
        for name, value in vars(module).items():
            if name.isupper() and isinstance(value, str):
                known.setdefault(value, name)
    return [known.get(sql, "(not a generated query)") for _, sql, _ in rec.statements]


def _slot(rec: Recording, value: Any) -> str | None:
    """Which per-transaction value an argument of the recorded send is, if any."""
    if isinstance(value, uuid.UUID):
        if value == rec.chat_id:
            return "chat_id"
        if value == rec.client_message_id:
            return "client_message_id"
    return None


def pgbench_script(fx: Fixture, rec: Recording) -> tuple[str, dict[str, str]]:
    """The recorded statements as a pgbench script, and the -D variables it needs.

    The chat and the client_message_id vary per transaction (pgbench computes them the way
    chat_uuid() does); every other argument becomes a pgbench variable, so it stays a
    parameter of the prepared statement as in the service; NULL stays a literal.
    """
    per_txn = {
        "chat_id": "lpad(to_hex(:cid::bigint), 32, '0')::uuid",
        "client_message_id": "lpad(to_hex(:mid::bigint), 32, '0')::uuid",
    }
    defines: dict[str, str] = {}
    by_text: dict[str, str] = {}
    lines: list[str] = []
    for _, sql, args in rec.statements:

        def sub(m: re.Match[str], args: tuple[Any, ...] = args) -> str:
            value = args[int(m.group(1)) - 1]
            slot = _slot(rec, value)
            if slot is not None:
                return f"({per_txn[slot]})"
            if value is None:
                return "NULL"
            text = json.dumps(value) if isinstance(value, dict | list) else str(value)
            if text not in by_text:
                by_text[text] = f"v{len(by_text) + 1}"
                defines[by_text[text]] = text
            return f"(:{by_text[text]})"

        lines.append(re.sub(r"\$(\d+)", sub, sql).rstrip().rstrip(";") + ";")
    iso = rec.transactions[0].get("isolation")
    begin = (
        "BEGIN"
        if iso in (None, "read_committed")
        else f"BEGIN ISOLATION LEVEL {str(iso).replace('_', ' ').upper()}"
    )
    head = [
        "-- Generated by bench/throughput.py from one recorded send_message call:",
        "-- " + "; ".join(statement_names(rec)),
        "-- Needs: " + " ".join(f"-D {k}=..." for k in defines),
        f"\\set cid random(1, {fx.throughput_chats})",
        "\\set mid random(1, 9223372036854775806)",
        f"{begin};",
    ]
    return "\n".join([*head, *lines, "COMMIT;"]) + "\n", defines


def make_replay(rec: Recording) -> Callable[[asyncpg.Pool[Any]], SendMessage]:
    """The raw-asyncpg floor: the recorded statements sent with conn.execute/fetchrow/...
    in one transaction, for another chat and message id; no service, no generated code."""
    txn = rec.transactions[0]
    plan = [
        (method, sql, [(_slot(rec, a), a) for a in args]) for method, sql, args in rec.statements
    ]

    def make(pool: asyncpg.Pool[Any]) -> SendMessage:
        async def send(
            *,
            account_id: uuid.UUID,
            user_id: uuid.UUID,
            agent_id: uuid.UUID,
            chat_id: uuid.UUID,
            client_message_id: uuid.UUID,
            content: str,
            role: str = "user",
        ) -> object:
            now = {"chat_id": chat_id, "client_message_id": client_message_id}
            async with pool.acquire() as conn, conn.transaction(**txn):
                for method, sql, slots in plan:
                    await getattr(conn, method)(sql, *[now[k] if k else a for k, a in slots])
            return None

        return send

    return make


# --- running the sides -------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    tps: float
    cpu_cores: float
    """CPU the client process used during the run, in cores (1.0 = one core busy)."""
    transactions: int


PGBENCH = "pgbench"
RAW = "raw asyncpg"
SERVICE = "service"
SIDES = (PGBENCH, RAW, SERVICE)


@dataclass(frozen=True)
class Level:
    clients: int
    runs: dict[str, list[Run]]

    def tps(self, side: str) -> float:
        return statistics.median(r.tps for r in self.runs[side])

    def ratio(self, side: str, base: str) -> float:
        """Median over the reps of side ÷ base TPS; the two ran back to back in each rep."""
        return statistics.median(
            a.tps / b.tps for a, b in zip(self.runs[side], self.runs[base], strict=True)
        )

    def cpu_ms(self, side: str) -> float:
        """Client CPU per transaction, in milliseconds."""
        return statistics.median(1000.0 * r.cpu_cores / r.tps for r in self.runs[side])


@asynccontextmanager
async def _pool(dsn: str, size: int, **kwargs: Any) -> AsyncIterator[asyncpg.Pool[Any]]:
    pool = await runtime.create_pool(dsn, min_size=size, max_size=size, **kwargs)
    try:
        yield pool
    finally:
        await pool.close()


async def run_clients(
    fx: Fixture,
    make: Callable[[asyncpg.Pool[Any]], SendMessage],
    clients: int,
    seconds: float,
    warmup: float,
    **pool_kwargs: Any,
) -> Run:
    """`clients` tasks sending messages back to back on a pool of as many connections."""
    async with _pool(fx.dsn, clients, **pool_kwargs) as pool:
        send = make(pool)
        stop = False
        done = 0

        async def client(seed: int) -> None:
            nonlocal done
            rnd = random.Random(seed)
            while not stop:
                await send(
                    account_id=fx.account_id,
                    user_id=fx.user_id,
                    agent_id=fx.agent_id,
                    chat_id=chat_uuid(rnd.randint(1, fx.throughput_chats)),
                    client_message_id=uuid.uuid4(),
                    content=CONTENT,
                    role="user",
                )
                done += 1

        tasks = [asyncio.create_task(client(i)) for i in range(clients)]
        await asyncio.sleep(warmup)
        n0, t0, c0 = done, time.perf_counter(), time.process_time()
        await asyncio.sleep(seconds)
        n1, t1, c1 = done, time.perf_counter(), time.process_time()
        stop = True
        await asyncio.gather(*tasks)
    return Run((n1 - n0) / (t1 - t0), (c1 - c0) / (t1 - t0), n1 - n0)


_TPS = re.compile(r"^tps = ([0-9.]+) \(without initial connection time\)", re.M)
_DONE = re.compile(r"^number of transactions actually processed: (\d+)", re.M)
_FAILED = re.compile(r"^number of failed transactions: (\d+)", re.M)


async def run_pgbench(
    fx: Fixture, script: Path, defines: dict[str, str], clients: int, seconds: float, pgbench: str
) -> Run:
    argv = [
        pgbench,
        "--no-vacuum",
        "--protocol=prepared",
        f"--client={clients}",
        "--jobs=1",
        f"--time={max(1, round(seconds))}",
        f"--file={script}",
        *(f"--define={k}={v}" for k, v in defines.items()),
        fx.dsn,
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out_b, err_b = await proc.communicate()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    out, err = out_b.decode(), err_b.decode()
    tps, done, failed = _TPS.search(out), _DONE.search(out), _FAILED.search(out)
    if proc.returncode != 0 or not tps or not done or (failed and int(failed.group(1))):
        raise RuntimeError(f"pgbench failed ({proc.returncode}):\n{out}\n{err}")
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return Run(float(tps.group(1)), cpu / max(1, round(seconds)), int(done.group(1)))


@dataclass(frozen=True)
class ThroughputReport:
    levels: list[Level]
    service_name: str
    script: str
    script_name: str
    statements: list[str]
    chats: int
    seconds: float
    notes: list[str]


async def _vacuum(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("VACUUM ANALYZE chats, chat_messages")
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()


def find_pgbench() -> str:
    found = shutil.which("pgbench")
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin/pgbench"), reverse=True):
        return str(candidate)
    raise FileNotFoundError("pgbench not found (apt-get install postgresql-client)")


async def run(
    fx: Fixture,
    *,
    clients: list[int],
    seconds: float,
    reps: int,
    script_path: Path,
    log: Callable[[str], None],
) -> ThroughputReport:
    pgbench = find_pgbench()
    rec = await record_send(fx)
    script, defines = pgbench_script(fx, rec)
    script_path.write_text(script)
    replay = make_replay(rec)
    names = statement_names(rec)
    log(f"  {SERVICE_NAME}: BEGIN; {'; '.join(names)}; COMMIT")
    notes = [
        "pgbench is the database-bound ceiling: a C client (one thread) that needs a small "
        "fraction of a core, so PostgreSQL gets nearly both cores. The Python client is one "
        "event-loop thread; from 8 clients on it and PostgreSQL compete for the same 2 "
        "cores, so each ms of client CPU per transaction is taken from the server.",
        f"{RAW}: the recorded statements replayed with conn.execute/fetchrow in one "
        "transaction on the same kind of pool (runtime.create_pool): the floor for any "
        "asyncpg-based service, without validation, retry wrapper or generated functions.",
    ]
    levels: list[Level] = []
    for c in clients:
        runs: dict[str, list[Run]] = {side: [] for side in SIDES}
        for r in range(reps):
            shift = r % len(SIDES)
            for side in SIDES[shift:] + SIDES[:shift]:
                await _vacuum(fx.dsn)
                if side == PGBENCH:
                    run_ = await run_pgbench(fx, script_path, defines, c, seconds, pgbench)
                else:
                    make = make_service if side == SERVICE else replay
                    run_ = await run_clients(fx, make, c, seconds, warmup=0.5)
                runs[side].append(run_)
        level = Level(c, runs)
        levels.append(level)
        log(
            f"  {c:>2} clients: "
            + "; ".join(
                f"{side} " + ", ".join(f"{x.tps:,.0f}" for x in runs[side]) for side in SIDES
            )
            + " TPS"
        )
    return ThroughputReport(
        levels=levels,
        service_name=SERVICE_NAME,
        script=script,
        script_name=script_path.name,
        statements=names,
        chats=fx.throughput_chats,
        seconds=seconds,
        notes=notes,
    )


def profile_work(fx: Fixture, clients: int, seconds: float) -> Callable[[], Awaitable[object]]:
    """One service run at `clients` clients (for the profiler)."""

    async def work() -> object:
        return await run_clients(fx, make_service, clients, seconds, warmup=0.5)

    return work


# --- what-if: the cost of the pool's reset query and of the statement count ----------
#
# Diagnostics run when a throughput target is missed. The merged statements are a
# sketch of what queries/*.sql could offer (same effects, fewer round trips); they live
# here only to measure the idea.

ENSURE_AND_LOCK_CHAT = """\
INSERT INTO chats (id, account_id, user_id, agent_id, title, model_config_id)
VALUES ($1, $2, $3, $4, $5, NULL)
ON CONFLICT (id) DO UPDATE SET id = EXCLUDED.id
RETURNING *, (xmax = 0) AS created"""

RESOLVE_MODEL_CONFIG = """\
SELECT * FROM (
    SELECT cmc.*, 0 AS preference
    FROM chat_model_configs cmc
    JOIN chat_providers cp ON cp.provider = cmc.provider
    WHERE cmc.id = $1::uuid AND cmc.deleted = FALSE AND cmc.enabled = TRUE
      AND cp.enabled = TRUE
    UNION ALL
    SELECT c.*, 1 FROM chat_model_configs c WHERE c.is_default = TRUE AND c.deleted = FALSE
) AS candidates
ORDER BY preference
LIMIT 1"""

INSERT_MESSAGE_AND_TOUCH_CHAT = """\
WITH message AS (
    INSERT INTO chat_messages (chat_id, client_message_id, role, content, model_config_id)
    VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (chat_id, client_message_id) DO NOTHING
    RETURNING *
), touched AS (
    UPDATE chats
    SET message_count = message_count + 1, last_active = NOW(), updated_at = NOW()
    WHERE id = $1 AND EXISTS (SELECT 1 FROM message)
    RETURNING id
)
SELECT * FROM message"""


def make_merged(pool: asyncpg.Pool[Any]) -> SendMessage:
    """The send-message transaction in 3 statements instead of 6 (raw asyncpg)."""

    async def send(
        *,
        account_id: uuid.UUID,
        user_id: uuid.UUID,
        agent_id: uuid.UUID,
        chat_id: uuid.UUID,
        client_message_id: uuid.UUID,
        content: str,
        role: str = "user",
    ) -> object:
        async with pool.acquire() as conn, conn.transaction():
            chat = await conn.fetchrow(
                ENSURE_AND_LOCK_CHAT, chat_id, account_id, user_id, agent_id, content[:50]
            )
            if chat is None or chat["user_id"] != user_id:
                raise LookupError(chat_id)
            config = await conn.fetchrow(RESOLVE_MODEL_CONFIG, chat["model_config_id"])
            if config is None:
                raise LookupError("no default model config")
            return await conn.fetchrow(
                INSERT_MESSAGE_AND_TOUCH_CHAT,
                chat_id,
                client_message_id,
                role,
                content,
                config["id"],
            )

    return send


async def _no_reset(conn: asyncpg.Connection[Any]) -> None:
    """A pool `reset` that skips the reset query (SELECT pg_advisory_unlock_all(); CLOSE
    ALL; UNLISTEN *; RESET ALL): asyncpg still rolls back a transaction left open."""


@dataclass(frozen=True)
class WhatIf:
    label: str
    round_trips: int
    runs: list[Run]


@dataclass(frozen=True)
class WhatIfReport:
    clients: int
    seconds: float
    variants: list[WhatIf]

    def ratio(self, variant: WhatIf) -> float:
        """Median per-rep TPS ratio of `variant` to the first variant (the service)."""
        base = self.variants[0].runs
        return statistics.median(a.tps / b.tps for a, b in zip(variant.runs, base, strict=True))


async def what_if(fx: Fixture, clients: int, seconds: float, reps: int) -> WhatIfReport:
    """The service against variants that cut round trips, interleaved rep by rep."""
    rec = await record_send(fx)
    n = len(rec.statements)
    variants: list[tuple[str, int, Callable[[asyncpg.Pool[Any]], SendMessage], Any]] = [
        ("service as is", n + 3, make_service, None),
        ("service, pool without the reset query", n + 2, make_service, _no_reset),
        ("raw asyncpg replay of the same statements", n + 3, make_replay(rec), None),
        ("3 statements instead of 6 (raw asyncpg)", 3 + 3, make_merged, None),
        ("3 statements, pool without the reset query", 3 + 2, make_merged, _no_reset),
    ]
    runs: list[list[Run]] = [[] for _ in variants]
    for r in range(reps):
        order = list(range(len(variants)))
        order = order[r % len(order) :] + order[: r % len(order)]
        for i in order:
            _, _, make, reset = variants[i]
            await _vacuum(fx.dsn)
            kwargs = {} if reset is None else {"reset": reset}
            runs[i].append(await run_clients(fx, make, clients, seconds, 0.5, **kwargs))
    return WhatIfReport(
        clients,
        seconds,
        [WhatIf(label, trips, runs[i]) for i, (label, trips, _, _) in enumerate(variants)],
    )
