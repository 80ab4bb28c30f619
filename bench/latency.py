"""Part 6: the latency of one send over a link with real distance.

An application and its database in one cloud zone are ~0.5-1 ms apart; on loopback they
are not. A proxy of the bench's own sits between the client and PostgreSQL and delays
every chunk of bytes by `delay` ms in each direction (a round trip costs 2 x delay more),
and counts, on the wire, the client's Query, Sync and Flush messages: the client waits
for the answer to each (ReadyForQuery; after a Flush, asyncpg's unnamed prepare waits
for the statement's description), one round trip each. The proxy runs in a process of
its own (one thread per direction and connection, sleeping to the microsecond) so the
client's event loop does not delay it.

One send at a time (latency, not throughput), to a random one of the seeded chats, the
sides interleaved send by send in a rotating order: the service (`send_message`, one
statement), the five-round-trip path it replaced (`five_trip_send.py`), and raw asyncpg
replaying that old path's statements (BEGIN; three statements; COMMIT with the reset) as
context: what the old wire traffic costs with no service code at all.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import random
import socket
import statistics
import struct
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection as Pipe
from multiprocessing.sharedctypes import Synchronized
from queue import SimpleQueue
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from bench import five_trip_send, pgbouncer, throughput
from bench.scratch import Fixture, chat_uuid
from chatdb.db import runtime

SERVICE = "service: send_message (one statement)"
BEFORE = f"old send path ({five_trip_send.ROUND_TRIPS} round trips)"
RAW = "raw asyncpg, the old path's statements"
SERVICE_PGB = "service through PgBouncer"
BEFORE_PGB = "old send path through PgBouncer"
SIDES = (SERVICE, BEFORE, RAW, SERVICE_PGB, BEFORE_PGB)
DELAYS_MS = (0.0, 0.5)
_SSL_REQUEST, _GSSENC_REQUEST = 80877103, 80877104


# --- the delaying proxy (its own process) ---------------------------------------------


def _pump(src: socket.socket, dst: socket.socket, delay: float, count: Any) -> None:
    """Forward src -> dst, each chunk `delay` seconds after it arrived (in order); with
    `count`, count the client's Query and Sync messages as they pass."""
    queue: SimpleQueue[tuple[float, bytes]] = SimpleQueue()
    parse = _MessageCounter(count) if count is not None else None

    def writer() -> None:
        while True:
            due, data = queue.get()
            if not data:
                break
            while (left := due - time.perf_counter()) > 0:
                time.sleep(left if left > 0.0003 else 0)  # the last 0.3 ms: spin
            try:
                dst.sendall(data)
            except OSError:
                break
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    out = threading.Thread(target=writer, daemon=True)
    out.start()
    while True:
        try:
            data = src.recv(65536)
        except OSError:
            data = b""
        if parse is not None and data:
            parse.feed(data)
        queue.put((time.perf_counter() + delay, data))
        if not data:
            break
    out.join()


class _MessageCounter:
    """Reads the client's side of the protocol just enough to count round trips."""

    def __init__(self, count: Any) -> None:
        self.count = count
        self.buf = b""
        self.started = False

    def feed(self, data: bytes) -> None:
        self.buf += data
        while True:
            if not self.started:  # untyped: SSL/GSS requests, then the startup message
                if len(self.buf) < 8:
                    return
                length, code = struct.unpack("!ii", self.buf[:8])
                if len(self.buf) < length:
                    return
                self.buf = self.buf[length:]
                self.started = code not in (_SSL_REQUEST, _GSSENC_REQUEST)
                continue
            if len(self.buf) < 5:
                return
            length = struct.unpack("!i", self.buf[1:5])[0]
            if len(self.buf) < 1 + length:
                return
            if self.buf[:1] in (b"Q", b"S", b"H"):  # each waited for: one round trip
                with self.count.get_lock():
                    self.count.value += 1
            self.buf = self.buf[1 + length :]


def _serve(pipe: Pipe, host: str, port: int, delay: float, count: Any) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    pipe.send(listener.getsockname()[1])
    while True:
        client, _ = listener.accept()
        try:
            server = socket.create_connection((host, port))
        except OSError:
            client.close()
            continue
        for s in (client, server):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=_pump, args=(client, server, delay, count), daemon=True).start()
        threading.Thread(target=_pump, args=(server, client, delay, None), daemon=True).start()


@dataclass
class DelayProxy:
    dsn: str
    count: Synchronized[int]

    @property
    def round_trips(self) -> int:
        return int(self.count.value)


@contextlib.asynccontextmanager
async def delay_proxy(dsn: str, delay_ms: float) -> AsyncIterator[DelayProxy]:
    """A proxy delaying each direction by `delay_ms`; yields the DSN through it."""
    url = urlsplit(dsn)
    ctx = multiprocessing.get_context("spawn")
    count: Synchronized[int] = ctx.Value("q", 0)
    parent, child = ctx.Pipe()
    args = (child, url.hostname or "127.0.0.1", url.port or 5432, delay_ms / 1000, count)
    proc = ctx.Process(target=_serve, args=args, daemon=True)
    proc.start()
    try:
        port = parent.recv()
        netloc = f"{url.username or 'postgres'}@127.0.0.1:{port}"
        query = "&".join(q for q in (url.query, "sslmode=disable") if q)
        yield DelayProxy(urlunsplit(url._replace(netloc=netloc, query=query)), count)
    finally:
        proc.terminate()
        proc.join(5)


# --- measuring -----------------------------------------------------------------------


@dataclass(frozen=True)
class LatencyReport:
    delays: tuple[float, ...]
    sends: int
    samples: dict[tuple[str, float], list[float]]  # ms per send
    round_trips: dict[tuple[str, float], float]  # per send, counted on the wire
    planning_ms: float  # the server planning SendMessage once (what each unnamed use costs)
    pooler: pgbouncer.Bouncer | None = None  # the PgBouncer of the pooled sides

    def percentile(self, side: str, delay: float, q: int) -> float:
        data = sorted(self.samples[(side, delay)])
        return data[min(len(data) - 1, round(q / 100 * (len(data) - 1)))]


async def run(
    fx: Fixture, *, sends: int, log: Callable[[str], None], delays: tuple[float, ...] = DELAYS_MS
) -> LatencyReport:
    replay = throughput.make_replay(await throughput.record_send(fx, five_trip_send.FiveTripSend))
    makers: dict[str, Callable[[asyncpg.Pool[Any]], throughput.SendMessage]] = {
        SERVICE: throughput.make_service,
        BEFORE: five_trip_send.FiveTripSend,
        RAW: replay,
    }
    samples: dict[tuple[str, float], list[float]] = {}
    trips: dict[tuple[str, float], float] = {}
    async with contextlib.AsyncExitStack() as outer:
        bounced = None
        if pgbouncer.find() is not None:  # the proxy in front of PgBouncer: its hop counts
            bounced = await outer.enter_async_context(pgbouncer.running(fx.dsn, 2))
            makers[SERVICE_PGB] = throughput.make_pooled_service
            makers[BEFORE_PGB] = five_trip_send.FiveTripSend
        for delay in delays:
            async with contextlib.AsyncExitStack() as stack:
                sides = await _sides(stack, fx, makers, delay, bounced)
                counted = await _measure(fx, sides, sends)
            for side, (ms, per_send) in counted.items():
                samples[(side, delay)], trips[(side, delay)] = ms, per_send
            log(f"  {delay:g} ms each way: " + "; ".join(
                f"{side.split(':')[0]} p50 {statistics.median(counted[side][0]):.2f} ms, "
                f"{counted[side][1]:.1f} round trips" for side in counted
            ))  # fmt: skip
        planned = await planning_ms(fx)
    return LatencyReport(tuple(delays), sends, samples, trips, planned, bounced)


async def _sides(
    stack: contextlib.AsyncExitStack,
    fx: Fixture,
    makers: dict[str, Callable[[asyncpg.Pool[Any]], throughput.SendMessage]],
    delay: float,
    bounced: pgbouncer.Bouncer | None,
) -> dict[str, tuple[DelayProxy, throughput.SendMessage]]:
    """Each side's send on a pool of one connection, through a delaying proxy of its own
    (in front of PgBouncer for the pooled sides)."""
    sides = {}
    for side, make in makers.items():
        pooled = bounced if side in (SERVICE_PGB, BEFORE_PGB) else None
        target = pooled.dsn if pooled else fx.dsn
        options = pooled.pool_options if pooled else {}
        proxy = await stack.enter_async_context(delay_proxy(target, delay))
        pool = await runtime.create_pool(proxy.dsn, min_size=1, max_size=1, **options)
        stack.push_async_callback(pool.close)
        sides[side] = (proxy, make(pool))
    return sides


async def _measure(
    fx: Fixture, sides: dict[str, tuple[DelayProxy, throughput.SendMessage]], sends: int
) -> dict[str, tuple[list[float], float]]:
    """`sends` sends per side, interleaved in a rotating order: ms each, round trips per send."""
    rnd = random.Random(42)
    for _, send in sides.values():  # warm-up: statements prepared, bounds kept
        for _ in range(10):
            await _send(fx, send, rnd)
    out: dict[str, tuple[list[float], float]] = {side: ([], 0.0) for side in sides}
    names = list(sides)
    for i in range(sends):
        for side in names[i % len(names) :] + names[: i % len(names)]:
            proxy, send = sides[side]
            before = proxy.round_trips
            began = time.perf_counter()
            await _send(fx, send, rnd)
            ms, trips = out[side]
            ms.append(1000 * (time.perf_counter() - began))
            out[side] = (ms, trips + (proxy.round_trips - before) / sends)
    return out


async def planning_ms(fx: Fixture) -> float:
    """The server's planning time for SendMessage (EXPLAIN SUMMARY, not executed), median
    of 20: what every use of an unnamed statement pays, and a cached one does not."""
    rec = await throughput.record_send(fx)
    _, sql, args = rec.statements[0]
    conn = await asyncpg.connect(fx.dsn)
    try:
        times = []
        for _ in range(20):
            plan = await conn.fetchval("EXPLAIN (SUMMARY, FORMAT JSON) " + sql, *args)
            times.append(float(json.loads(plan)[0]["Planning Time"]))
    finally:
        await conn.close()
    return statistics.median(times)


async def _send(fx: Fixture, send: throughput.SendMessage, rnd: random.Random) -> None:
    await send(
        account_id=fx.account_id,
        user_id=fx.user_id,
        agent_id=fx.agent_id,
        chat_id=chat_uuid(rnd.randint(1, fx.throughput_chats)),
        client_message_id=uuid.uuid4(),
        content=throughput.CONTENT,
        role="user",
    )


def markdown(report: LatencyReport) -> list[str]:
    lines: list[str] = []
    for delay in report.delays:
        lines += ["", f"**{delay:g} ms each way** ({report.sends} sends per side):", ""]
        head = ["", "round trips / send (on the wire)", "p50 ms", "p90 ms", "p99 ms"]
        lines.append("| " + " | ".join(head) + " |")
        lines.append("| :--- | ---: | ---: | ---: | ---: |")
        for side in SIDES:
            if (side, delay) not in report.samples:
                continue
            cells = [side, f"{report.round_trips[(side, delay)]:.2f}"] + [
                f"{report.percentile(side, delay, q):.2f}" for q in (50, 90, 99)
            ]
            lines.append("| " + " | ".join(cells) + " |")
    lines += ["", f"The server plans SendMessage in {report.planning_ms:.2f} ms (EXPLAIN "
              "SUMMARY, median of 20): a cached named statement pays it a few times per "
              "connection (then runs a generic plan). " + _pooled(report.pooler)]  # fmt: skip
    return lines


def _pooled(pooler: pgbouncer.Bouncer | None) -> str:
    if pooler is None:
        return "No PgBouncer here (bash .ci/pgbouncer.sh): no pooled sides."
    if pooler.prepared:
        return (
            "Through PgBouncer (max_prepared_statements; `create_pool(pgbouncer=True, "
            "statement_cache_size=100)`) the statement stays prepared on each server "
            "connection, so a send is one round trip there too, plus PgBouncer's hop."
        )
    return (
        "Through this PgBouncer (older than 1.21: `pgbouncer=True`, unnamed statements) "
        "every send pays the planning, plus the Parse round trip."
    )
