"""A PgBouncer of the bench's own, in transaction mode, on a free loopback port.

Why: the throughput and latency parts measure the send path through a real pooler as
well as direct, the way many deployments run. `.ci/pgbouncer.sh` builds PgBouncer 1.24
(Debian 12's package is 1.18); this starts one against the benchmark's server for the
duration of a block and stops it (by its process id) afterwards. PgBouncer refuses to run
as root, so as root it is started with `-u postgres`.

From PgBouncer 1.21 on, `max_prepared_statements` keeps the clients' named prepared
statements across server connections, so the pool keeps asyncpg's statement cache
(`create_pool(pgbouncer=True, statement_cache_size=100)`): a cached send is one round
trip, as direct. An older PgBouncer gets `pgbouncer=True` alone: no statement cache,
every statement parsed and planned on every use.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from chatdb.tx import Timeouts

_INI = """\
[databases]
* = host={host} port={port} user={user}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {listen}
unix_socket_dir =
auth_type = any
pool_mode = transaction
max_client_conn = 500
default_pool_size = {pool}
server_reset_query =
ignore_startup_parameters = extra_float_digits
max_prepared_statements = {prepared}
logfile = {dir}/pgbouncer.log
pidfile = {dir}/pgbouncer.pid
"""


def find() -> str | None:
    return shutil.which("pgbouncer") or (
        "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None
    )


def version(binary: str) -> tuple[int, int]:
    """PgBouncer's major and minor version, from `pgbouncer --version`."""
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True)
    found = re.search(r"PgBouncer (\d+)\.(\d+)", out.stdout)
    if found is None:
        raise RuntimeError(f"{binary} --version printed no PgBouncer version: {out.stdout!r}")
    return int(found[1]), int(found[2])


def keeps_prepared(binary: str) -> bool:
    """Whether this PgBouncer can keep named prepared statements in transaction mode."""
    return version(binary) >= (1, 21)


@dataclass(frozen=True)
class Bouncer:
    """A running PgBouncer: the DSN through it, and the pool options that suit it."""

    dsn: str
    prepared: bool  # it keeps the clients' prepared statements (max_prepared_statements)

    @property
    def pool_options(self) -> dict[str, Any]:
        cache = {"statement_cache_size": 100} if self.prepared else {}
        return {"pgbouncer": True, **cache}

    @property
    def label(self) -> str:
        return "statement cache kept" if self.prepared else "no statement cache"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def hold_bounds(dsn: str, timeouts: Timeouts) -> None:
    """Make the database's own defaults the service's statement and lock bounds, as the
    README asks of a deployment behind a transaction-mode pooler (the server, not the
    client's session, then holds them: a one-statement send runs without a transaction,
    `Database.over` finds that out)."""
    statement, lock = timeouts.shown()
    conn = await asyncpg.connect(dsn)
    try:
        name = await conn.fetchval("SELECT current_database()")
        for setting, value in (("statement_timeout", statement), ("lock_timeout", lock)):
            await conn.execute(f"ALTER DATABASE \"{name}\" SET {setting} = '{value}'")
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def running(dsn: str, pool_size: int) -> AsyncIterator[Bouncer]:
    """A fresh PgBouncer in front of `dsn` (transaction pooling, at most `pool_size`
    server connections per database; prepared statements kept when it can)."""
    binary = find()
    if binary is None:
        raise FileNotFoundError("pgbouncer not found (apt-get install pgbouncer)")
    url = urlsplit(dsn)
    prepared = keeps_prepared(binary)
    await hold_bounds(dsn, Timeouts())
    listen = _free_port()
    with tempfile.TemporaryDirectory(prefix="bench-pgbouncer-") as tmp:
        os.chmod(tmp, 0o777)  # the postgres user writes its log and pid here
        ini = Path(tmp) / "pgbouncer.ini"
        ini.write_text(
            _INI.format(
                host=url.hostname or "127.0.0.1",
                port=url.port or 5432,
                user=url.username or "postgres",
                listen=listen,
                pool=pool_size,
                dir=tmp,
                prepared=200 if prepared else 0,
            )
        )
        as_user = ["-u", "postgres"] if os.geteuid() == 0 else []
        proc = await asyncio.create_subprocess_exec(
            binary,
            *as_user,
            str(ini),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            await _wait_listening(listen, proc)
            netloc = f"{url.username or 'postgres'}@127.0.0.1:{listen}"
            yield Bouncer(urlunsplit(url._replace(netloc=netloc)), prepared)
        finally:
            if proc.returncode is None:
                proc.terminate()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(proc.wait(), timeout=10)
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()


async def _wait_listening(port: int, proc: asyncio.subprocess.Process) -> None:
    for _ in range(100):
        if proc.returncode is not None:
            raise RuntimeError(f"pgbouncer exited with status {proc.returncode}")
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        await asyncio.sleep(0.05)
    raise RuntimeError("pgbouncer did not start listening within 5 s")
