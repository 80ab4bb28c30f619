"""Part 4: "send a message" throughput with 1, 8 and 32 concurrent clients, against pgbench
running the same statements in the same transaction shape (the database-bound ceiling).

The pgbench script is not written by hand: one send is run through a recording pool, and
every statement it sends (SQL text and arguments) is turned into a pgbench command, the
arguments mapped to pgbench variables. Whatever the service does, pgbench does the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
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

from bench import five_trip_send, pgbouncer
from bench.scratch import Fixture, chat_uuid
from chatdb.database import Database
from chatdb.db import accounts, chat_messages, chat_providers, chatmodelconfigs, chats, runtime
from chatdb.service import ChatService
from chatdb.tx import Timeouts

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
    return ChatService(Database(pool)).send_message


def make_pooled_service(pool: asyncpg.Pool[Any]) -> SendMessage:
    """The same behind PgBouncer: its `Database` made by `Database.over` (on first use),
    which finds the server holding the bounds (`pgbouncer.hold_bounds`)."""
    service: list[ChatService] = []

    async def send(**message: Any) -> object:
        if not service:
            service.append(ChatService(await Database.over(pool)))
        return await service[0].send_message(**message)

    return send


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
        verb = query.lstrip().split(None, 1)[0].upper().rstrip(";") if query.strip() else ""
        if verb == "BEGIN":  # chatdb.tx: BEGIN and its SET LOCAL bounds, one simple query
            self._rec.transactions.append({"begin": query})
        elif verb not in ("COMMIT", "ROLLBACK"):
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

    def __await__(self) -> Any:  # `await pool.acquire()`, released by `pool.release`
        return self.__aenter__().__await__()


class _RecordingPool(_RecordingConnection):
    """A pool whose connections record; pool-level queries record too."""

    def __init__(self, pool: asyncpg.Pool[Any], rec: Recording) -> None:
        super().__init__(pool, rec)
        self._pool = pool

    def acquire(self, **kwargs: Any) -> _RecordingAcquire:
        return _RecordingAcquire(self._pool, self._rec)

    async def release(self, conn: Any, **kwargs: Any) -> None:
        await self._pool.release(conn._conn if isinstance(conn, _RecordingConnection) else conn,
                                 **kwargs)  # fmt: skip


async def record_send(
    fx: Fixture, make: Callable[[asyncpg.Pool[Any]], SendMessage] | None = None
) -> Recording:
    """Run one send on an existing chat through a recording pool: the service's, or
    that of `make`."""
    rec = Recording(chat_id=chat_uuid(1))
    pool = await runtime.create_pool(fx.dsn, min_size=1, max_size=1)
    try:
        send = (make or make_service)(cast("asyncpg.Pool[Any]", _RecordingPool(pool, rec)))
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
    if len(rec.transactions) > 1:
        raise AssertionError(f"expected one transaction per send, saw {len(rec.transactions)}")
    return rec  # no transaction: one statement that commits itself (tx.run_statement)


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
    # chatdb.tx begins READ COMMITTED (pgbench's default) and adds SET LOCAL timeouts in
    # the same message; pgbench would send each as a round trip of its own, so it runs
    # with them as session settings (PGOPTIONS, `run_pgbench`), as a statement that
    # commits itself does (it checks them before it writes).
    begin, commit = (["BEGIN;"], ["COMMIT;"]) if rec.transactions else ([], [])
    head = [
        "-- Generated by bench/throughput.py from one recorded send_message call:",
        "-- " + "; ".join(statement_names(rec)),
        "-- Needs: " + " ".join(f"-D {k}=..." for k in defines),
        f"\\set cid random(1, {fx.throughput_chats})",
        "\\set mid random(1, 9223372036854775806)",
        *begin,
    ]
    return "\n".join([*head, *lines, *commit]) + "\n", defines


def make_replay(rec: Recording) -> Callable[[asyncpg.Pool[Any]], SendMessage]:
    """The raw-asyncpg floor: the recorded statements sent with conn.execute/fetchrow/...
    for another chat and message id; no service, no generated code. In one transaction
    when the service ran one; else as statements that commit themselves, under the bounds
    kept on the connection and with no reset after them, as the service sends them."""
    begin = str(rec.transactions[0]["begin"]) if rec.transactions else None
    bounds = Timeouts().session_settings()
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
            async with pool.acquire() as conn:
                if begin is None:  # runtime.Connection (the pool's connection class)
                    await conn.keep_settings(bounds)  # type: ignore[attr-defined]
                else:
                    await conn.execute(begin)
                for method, sql, slots in plan:
                    await getattr(conn, method)(sql, *[now[k] if k else a for k, a in slots])
                if begin is None:
                    conn.unchanged_session()  # type: ignore[attr-defined]
                else:  # COMMIT and reset, one trip
                    await conn.commit_and_reset()  # type: ignore[attr-defined]
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
BEFORE = "old send path (5 round trips)"  # bench/five_trip_send.py
SIDES = (PGBENCH, RAW, SERVICE, BEFORE)
# The two service paths again, through a PgBouncer in transaction mode (when installed).
SERVICE_PGB = "service via PgBouncer"
BEFORE_PGB = "service before, via PgBouncer"
BOUNCED = (SERVICE_PGB, BEFORE_PGB)


@dataclass(frozen=True)
class Level:
    clients: int
    runs: dict[str, list[Run]]

    def has(self, side: str) -> bool:
        return bool(self.runs.get(side))

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
    """`clients` tasks sending messages back to back on a pool of as many connections
    (to `dsn` in `pool_kwargs` if given, else the fixture's database)."""
    dsn = pool_kwargs.pop("dsn", fx.dsn)
    async with _pool(dsn, clients, **pool_kwargs) as pool:
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
    bounds = Timeouts()  # the service's bounds, as session settings (see pgbench_script)
    options = " ".join(f"-c {s.removeprefix('SET ').replace(' ', '')}"
                       for s in bounds.session_settings().split(";"))  # fmt: skip
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PGOPTIONS": options},
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
    find_pgbench()  # fail before any work when it is missing
    rec = await record_send(fx)
    script, defines = pgbench_script(fx, rec)
    script_path.write_text(script)
    replay = make_replay(rec)
    names = statement_names(rec)
    shape = f"BEGIN; {'; '.join(names)}; COMMIT" if rec.transactions else "; ".join(names)
    log(f"  {SERVICE_NAME}: {shape}")
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
    async with contextlib.AsyncExitStack() as stack:
        via = None
        if pgbouncer.find() is None:
            notes.append("PgBouncer is not installed (bash .ci/pgbouncer.sh): no pooled runs.")
        else:
            via = await stack.enter_async_context(pgbouncer.running(fx.dsn, max(clients)))
            notes.append(_pooled_note(via))
        for c in clients:
            level = Level(c, await _level(fx, c, seconds, reps, script_path, defines, replay, via))
            levels.append(level)
            log(
                f"  {c:>2} clients: "
                + "; ".join(
                    f"{side} " + ", ".join(f"{x.tps:,.0f}" for x in runs)
                    for side, runs in level.runs.items()
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


def _pooled_note(via: pgbouncer.Bouncer) -> str:
    how = (
        "`create_pool(pgbouncer=True, statement_cache_size=100)`: PgBouncer keeps the "
        "prepared statements (max_prepared_statements), so a cached send is one round trip"
        if via.prepared
        else "`create_pool(pgbouncer=True)`: no statement cache, so every statement is "
        "parsed and planned again on each use"
    )
    return (
        f"{SERVICE_PGB} / {BEFORE_PGB}: the same two paths through a PgBouncer the bench "
        "starts on a loopback port (pool_mode = transaction, one server connection per "
        f"client, {how}; the database's defaults are the service's bounds, so "
        "`Database.over` lets the send run as one statement without a transaction)."
    )


def _makers(
    replay: Callable[[asyncpg.Pool[Any]], SendMessage], via: pgbouncer.Bouncer | None
) -> dict[str, tuple[Callable[[asyncpg.Pool[Any]], SendMessage], dict[str, Any]]]:
    """Each client-side contender: how it sends, and its pool's options."""
    makers: dict[str, tuple[Callable[[asyncpg.Pool[Any]], SendMessage], dict[str, Any]]] = {
        RAW: (replay, {}),
        SERVICE: (make_service, {}),
        BEFORE: (five_trip_send.FiveTripSend, five_trip_send.POOL_OPTIONS),
    }
    if via is not None:
        pooled = {"dsn": via.dsn, **via.pool_options}
        makers[SERVICE_PGB] = (make_pooled_service, pooled)
        makers[BEFORE_PGB] = (
            five_trip_send.FiveTripSend,
            {**five_trip_send.POOL_OPTIONS, **pooled},
        )
    return makers


async def _level(
    fx: Fixture,
    clients: int,
    seconds: float,
    reps: int,
    script_path: Path,
    defines: dict[str, str],
    replay: Callable[[asyncpg.Pool[Any]], SendMessage],
    via: pgbouncer.Bouncer | None,
) -> dict[str, list[Run]]:
    """Every side at one client count, `reps` times, the order rotated rep by rep."""
    makers = _makers(replay, via)
    sides = [PGBENCH, *makers]
    runs: dict[str, list[Run]] = {side: [] for side in sides}
    for r in range(reps):
        shift = r % len(sides)
        for side in sides[shift:] + sides[:shift]:
            await _vacuum(fx.dsn)
            if side == PGBENCH:
                run_ = await run_pgbench(fx, script_path, defines, clients, seconds, find_pgbench())
            else:
                make, options = makers[side]
                run_ = await run_clients(fx, make, clients, seconds, 0.5, **options)
            runs[side].append(run_)
    return runs


def profile_work(fx: Fixture, clients: int, seconds: float) -> Callable[[], Awaitable[object]]:
    """One service run at `clients` clients (for the profiler)."""

    async def work() -> object:
        return await run_clients(fx, make_service, clients, seconds, warmup=0.5)

    return work


# --- what-if: where the round trips went ---------------------------------------------
#
# A diagnostic run when a throughput target is missed: the service against the old send
# path and against the raw replay of its own statements.


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
    n = len(rec.statements) + (2 if rec.transactions else 0)  # BEGIN, COMMIT
    variants: list[tuple[str, int, Callable[[asyncpg.Pool[Any]], SendMessage], Any]] = [
        ("service as is", n, make_service, {}),
        (BEFORE, five_trip_send.ROUND_TRIPS, five_trip_send.FiveTripSend, {}),
        ("raw asyncpg replay of the same statements", n, make_replay(rec), {}),
    ]
    runs: list[list[Run]] = [[] for _ in variants]
    for r in range(reps):
        order = list(range(len(variants)))
        order = order[r % len(order) :] + order[: r % len(order)]
        for i in order:
            _, _, make, options = variants[i]
            await _vacuum(fx.dsn)
            runs[i].append(await run_clients(fx, make, clients, seconds, 0.5, **options))
    return WhatIfReport(
        clients,
        seconds,
        [WhatIf(label, trips, runs[i]) for i, (label, trips, _, _) in enumerate(variants)],
    )
