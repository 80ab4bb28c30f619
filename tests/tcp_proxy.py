"""A loopback TCP proxy in front of PostgreSQL that can lose a COMMIT's acknowledgement.

Why it exists: "the connection died after the server committed but before the client
heard back" cannot be produced by killing backends (that kills the transaction too). The
proxy forwards bytes both ways and reads the client's side of the wire protocol just
enough to see what commits: a simple-protocol COMMIT (asyncpg sends BEGIN/COMMIT that
way), or the Sync after an Execute outside a transaction block (a statement that is a
transaction of its own commits there). When armed, the next such message goes through
to the server, and the server's answer to it is swallowed: both sockets are closed
instead. The client cannot know if it committed.

It can also go silent, as a NAT, a load balancer or a frozen VM does: `freeze()` stops
forwarding in both directions without closing anything (bytes are held, not lost, and
flow again after `thaw()`); armed with `commits_to_freeze`, the next COMMIT reaches the
server and then everything freezes, its answer included.

And it can cut a connection at a given command: armed with `cut_at` (the start of a
simple-protocol query, e.g. b"COMMIT PREPARED"), the next such query is not forwarded and
both sockets are closed, as when the server behind it dies at that point (Citus's
two-phase commit, interrupted on one worker, `tests/test_citus_reference_write_cut.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

_SSL_REQUEST = 80877103
_GSSENC_REQUEST = 80877104


@dataclass
class Proxy:
    upstream_host: str
    upstream_port: int
    port: int = 0
    commits_to_drop: int = 0  # arm: this many COMMITs lose their acknowledgement
    dropped: int = 0  # COMMITs whose acknowledgement was swallowed
    connections: int = 0  # client connections accepted so far
    round_trips: int = 0  # client messages answered before the client goes on: Query, Sync, Flush
    commits_to_freeze: int = 0  # arm: this many COMMITs go through, then the proxy freezes
    flowing: asyncio.Event = field(default_factory=asyncio.Event)  # clear: frozen
    cut_at: bytes = b""  # arm: the next simple query starting so is not sent; both sides close
    cut: int = 0  # connections cut so far

    def __post_init__(self) -> None:
        self.flowing.set()

    def freeze(self) -> None:
        """Stop forwarding both ways, closing nothing: a network gone silent."""
        self.flowing.clear()

    def thaw(self) -> None:
        self.flowing.set()

    def dsn(self, dbname: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}?sslmode=disable"

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            server_r, server_w = await asyncio.open_connection(
                self.upstream_host, self.upstream_port
            )
        except OSError:
            client_w.close()
            return
        drop = asyncio.Event()  # set once a COMMIT to be dropped went to the server
        up = asyncio.ensure_future(self._client_to_server(client_r, server_w, drop, client_w))
        down = asyncio.ensure_future(self._server_to_client(server_r, client_w, drop))
        await asyncio.wait({up, down}, return_when=asyncio.FIRST_COMPLETED)
        for task in (up, down):
            task.cancel()
        for writer in (client_w, server_w):
            writer.close()

    async def _client_to_server(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        drop: asyncio.Event,
        client: asyncio.StreamWriter,
    ) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:  # untyped start-up messages: SSL/GSS requests, then the startup
                head = await reader.readexactly(8)
                length, code = struct.unpack("!ii", head)
                body = await reader.readexactly(length - 8)
                if code in (_SSL_REQUEST, _GSSENC_REQUEST):  # the proxy reads plain text only:
                    client.write(b"N")  # it answers "no encryption" itself (libpq asks first)
                    await client.drain()
                    continue
                writer.write(head + body)
                await writer.drain()
                break
            commits = _Commits()
            while True:
                head = await reader.readexactly(5)
                kind, length = head[:1], struct.unpack("!i", head[1:])[0]
                body = await reader.readexactly(length - 4)
                self.round_trips += kind in (b"Q", b"S", b"H")
                if self.cut_at and kind == b"Q" and body.lstrip().upper().startswith(self.cut_at):
                    self.cut_at, self.cut = b"", self.cut + 1
                    return  # not forwarded: _handle closes both sockets
                is_commit = commits.seen(kind, body)
                if is_commit and self.commits_to_drop > 0:
                    self.commits_to_drop -= 1
                    drop.set()  # before forwarding: whatever answers now answers COMMIT
                if is_commit and self.commits_to_freeze > 0:
                    self.commits_to_freeze -= 1
                    self.freeze()  # the COMMIT itself still goes through, its answer not
                else:
                    await self.flowing.wait()
                writer.write(head + body)
                await writer.drain()

    async def _server_to_client(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, drop: asyncio.Event
    ) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                if drop.is_set():  # the answer to the armed COMMIT: swallow it, hang up
                    self.dropped += 1
                    return
                await self.flowing.wait()
                writer.write(data)
                await writer.drain()


@dataclass
class _Commits:
    """Which client messages commit, read from the client's side alone: a transaction
    block is open from a simple-protocol BEGIN to its COMMIT or ROLLBACK; outside one, the
    Sync after an Execute commits the statement (PostgreSQL's implicit transaction).

    Reads are not counted: a prepared statement whose text is a SELECT, or asyncpg's type
    introspection (`typeinfo_tree`), run when a new connection sets up its codecs (the
    runtime's pgvector codecs), writes nothing whose acknowledgement a test could lose."""

    in_block: bool = False
    executed: bool = False
    reads: set[bytes] = field(default_factory=set)  # names of prepared read statements
    reading: bool = False  # the statement bound last is one of them

    def seen(self, kind: bytes, body: bytes) -> bool:
        if kind == b"Q":
            text = body.lstrip().upper()
            if text.startswith(b"BEGIN"):
                self.in_block = True
            elif text.startswith((b"COMMIT", b"ROLLBACK")):
                self.in_block = False
                return text.startswith(b"COMMIT")
            return False
        if kind == b"P":
            name, _, rest = body.partition(b"\0")
            query = rest.partition(b"\0")[0]
            if query.lstrip().upper().startswith(b"SELECT") or b"typeinfo_tree" in query:
                self.reads.add(name)
            else:
                self.reads.discard(name)
        if kind == b"B":
            statement = body.partition(b"\0")[2].partition(b"\0")[0]
            self.reading = statement in self.reads
        if kind == b"E":
            self.executed = self.executed or not self.reading
        if kind == b"S":
            commits, self.executed = self.executed and not self.in_block, False
            return commits
        return False


@contextlib.asynccontextmanager
async def running_proxy(upstream_host: str, upstream_port: int) -> AsyncIterator[Proxy]:
    proxy = Proxy(upstream_host, upstream_port)
    server = await asyncio.start_server(proxy._handle, "127.0.0.1", 0)
    proxy.port = server.sockets[0].getsockname()[1]
    try:
        yield proxy
    finally:
        proxy.thaw()
        server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), timeout=5)
