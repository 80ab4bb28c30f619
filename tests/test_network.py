"""The service between the application and PostgreSQL, on the session's own cluster:
what happens when the network, a pooler or the server's limits get in the way.

* A COMMIT that reached the server but whose answer was lost (a loopback TCP proxy
  swallows it and hangs up) is OutcomeUnknown — not TransientError, which promises
  nothing was written — and repeating the call is safe for every write: it reports what
  the first attempt did and writes nothing twice. A send, one statement that commits
  itself, is repeated in place by the service when its answer is lost. A read-only
  transaction's lost COMMIT costs nothing: its result stands.
* Through a real PgBouncer in transaction mode (started and stopped here), the service
  works with `create_pool(..., pgbouncer=True)`; without it, the pool refuses to start
  with PoolerNotConfigured, naming the fix (the control).
* A role's CONNECTION LIMIT below the pool size: the pool backs off at acquire and keeps
  its working connections (no new server process per refusal).
* Timeouts: a row lock held by an outside session cannot tie the pool up; writers give
  up after `lock`, reads get a connection, a full pool is TransientError after
  `acquire`, a long statement after `statement`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest

from chatdb.admin import AdminService
from chatdb.database import Database
from chatdb.db.runtime import PoolerNotConfigured, create_pool, init_connection
from chatdb.errors import DomainError, OutcomeUnknown, TransientError
from chatdb.service import ChatService
from chatdb.tx import Conn, RetryPolicy, Timeouts, run_in_transaction
from tests import pgcluster
from tests.conftest import missing_system_program
from tests.reliability_fixtures import (
    FAST_RETRY,
    connect,
    open_service,
    wait_until_blocked_by,
)
from tests.tcp_proxy import Proxy, running_proxy
from tests.world import World, seed_world

pytest_plugins = ["tests.reliability_fixtures"]
T = TypeVar("T")


def dbname(dsn: str) -> str:
    return dsn.rpartition("/")[2].partition("?")[0]


def with_user(dsn: str, user: str) -> str:
    scheme, _, rest = dsn.partition("://")
    return f"{scheme}://{user}@{rest.partition('@')[2]}"


# --------------------------------------------------------------------------- 2. lost COMMIT


@pytest.fixture
async def proxy(fault_cluster: pgcluster.Cluster) -> AsyncIterator[Proxy]:
    async with running_proxy("127.0.0.1", fault_cluster.port) as p:
        yield p


async def lost_then_repeated(proxy: Proxy, call: Callable[[], Awaitable[T]]) -> T:
    """Run `call` with its COMMIT's answer lost (OutcomeUnknown), then repeat it."""
    dropped = proxy.dropped
    proxy.commits_to_drop = 1
    with pytest.raises(OutcomeUnknown) as exc:
        await call()
    assert proxy.dropped == dropped + 1 and exc.value.retryable and exc.value.status == 503
    assert not isinstance(exc.value, TransientError)  # that one promises nothing was written
    return await call()


async def lost_and_repeated_in_place(proxy: Proxy, call: Callable[[], Awaitable[T]]) -> T:
    """Run `call`, a write that is one statement committing itself, with the answer to it
    lost: the service repeats the statement in place (it is idempotent) and returns what
    the lost attempt stored; no OutcomeUnknown reaches the caller."""
    dropped = proxy.dropped
    proxy.commits_to_drop = 1
    result = await call()
    assert proxy.dropped == dropped + 1 and proxy.commits_to_drop == 0
    return result


async def lost_send_repeated(proxy: Proxy, svc: ChatService, call: Callable[[], Awaitable[T]]) -> T:
    """A send (or assistant turn) whose answer is lost. Where it is one statement that
    commits itself (`Database.statement_writes`), the service repeats it in place; where it
    is a transaction (on a Citus coordinator) the lost COMMIT is OutcomeUnknown and the
    caller repeats it. Either way the repeat reports what the lost attempt stored."""
    if svc.db.statement_writes:
        return await lost_and_repeated_in_place(proxy, call)
    return await lost_then_repeated(proxy, call)


async def count(dsn: str, sql: str, *args: object) -> int:
    async with connect(dsn) as conn:
        n: int = await conn.fetchval(sql, *args)
        return n


async def test_a_lost_commit_ack_is_outcome_unknown_and_every_write_is_safe_to_repeat(
    fault_db: str, proxy: Proxy
) -> None:
    async with open_service(proxy.dsn(dbname(fault_db))) as svc:
        world = await seed_world(svc, providers=("alpha",), configs_per_provider=1)
        who = world.who
        acc, usr, agt = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        assert (
            await lost_then_repeated(proxy, lambda: svc.create_account(id=acc, name="a"))
        ).id == acc
        user = await lost_then_repeated(
            proxy, lambda: svc.create_user(id=usr, account_id=acc, email="x@example.com")
        )
        assert user.id == usr
        agent = await lost_then_repeated(
            proxy, lambda: svc.create_agent(id=agt, account_id=acc, name="bot")
        )
        assert agent.id == agt
        provider = await lost_then_repeated(
            proxy,
            lambda: AdminService(svc.db).create_provider(provider="beta", display_name="Beta"),
        )
        assert provider.provider == "beta"
        cfg_id = uuid.uuid4()
        cfg = await lost_then_repeated(
            proxy,
            lambda: AdminService(svc.db).create_model_config(
                id=cfg_id, provider="beta", model="b", display_name="B", context_limit=1,
                compression_threshold=1, is_default=True,
            ),
        )  # fmt: skip
        assert cfg.id == cfg_id and cfg.is_default
        chat_id = uuid.uuid4()
        chat = await lost_then_repeated(proxy, lambda: svc.create_chat(**who, chat_id=chat_id))
        assert chat.id == chat_id
        mid = uuid.uuid4()
        sent = await lost_send_repeated(
            proxy,
            svc,
            lambda: svc.send_message(**who, chat_id=chat_id, client_message_id=mid, content="hi"),
        )
        assert sent.duplicate and sent.chat.message_count == 1
        reply_id = uuid.uuid4()  # its own id: the user turn's would be another request
        reply = await lost_send_repeated(
            proxy,
            svc,
            lambda: svc.add_assistant_message(
                account_id=world.account_id, agent_id=world.agent_id, chat_id=chat_id,
                client_message_id=reply_id, content="hello",
            ),
        )  # fmt: skip
        assert reply.duplicate and reply.message.role == "assistant"
        assert reply.message.content == "hello" and reply.chat.message_count == 2
        gone = await lost_then_repeated(
            proxy, lambda: AdminService(svc.db).delete_model_config(id=cfg_id)
        )
        assert gone.already_deleted
        deleted_chat = await lost_then_repeated(
            proxy,
            lambda: svc.delete_chat(
                account_id=world.account_id, user_id=world.user_id, chat_id=chat_id
            ),
        )
        assert deleted_chat.already_deleted
        deleted_provider = await lost_then_repeated(
            proxy, lambda: AdminService(svc.db).delete_provider(provider="beta")
        )
        assert deleted_provider.already_deleted
        # A read-only transaction whose COMMIT answer is lost has its answer anyway.
        proxy.commits_to_drop = 1
        assert len(await AdminService(svc.db).list_providers()) == 1 and proxy.dropped == 12
    for table, n in [("accounts", 2), ("users", 2), ("agents", 2), ("chat_model_configs", 2)]:
        assert await count(fault_db, f"SELECT count(*) FROM {table}") == n, table
    assert await count(fault_db, "SELECT count(*) FROM chats WHERE id = $1", chat_id) == 1
    assert await count(fault_db, "SELECT count(*) FROM chat_messages") == 0  # deleted chat


# --------------------------------------------------------------------------- 3. PgBouncer


def pgbouncer_binary(at_least: tuple[int, int] = (1, 0)) -> str:
    """The PgBouncer on PATH (`.ci/pgbouncer.sh` builds 1.24 into /usr/local), else
    Debian's; a test needing a newer one than is here fails naming how to get it."""
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    install = "bash .ci/pgbouncer.sh"
    if not Path(binary).exists():
        missing_system_program("pgbouncer", install)
    out = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
    found = re.search(r"PgBouncer (\d+)\.(\d+)", out)
    if found is None or (int(found[1]), int(found[2])) < at_least:
        missing_system_program(f"pgbouncer {at_least[0]}.{at_least[1]} or later", install)
    return binary


@contextlib.contextmanager
def pgbouncer(
    cluster: pgcluster.Cluster,
    database: str,
    pool_size: int,
    *,
    prepared: int = 0,
    round_robin: bool = False,
) -> Any:
    """A real PgBouncer in transaction mode, on a free loopback port; stopped and removed
    afterwards. Yields its port. `prepared`: its max_prepared_statements (PgBouncer 1.21
    or later keeps that many of each client's prepared statements on every server
    connection; 0: it keeps none). `round_robin`: idle server connections are handed out
    in turn (not the last used first), so consecutive transactions of one client run on
    different ones once several are open."""
    binary = pgbouncer_binary((1, 21) if prepared or round_robin else (1, 0))
    port = pgcluster.free_port()
    work = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
    turns = "server_round_robin = 1\n" if round_robin else ""
    keep = f"max_prepared_statements = {prepared}\n" if prepared or round_robin else ""
    (work / "pgbouncer.ini").write_text(
        f"[databases]\n{database} = host=127.0.0.1 port={cluster.port} dbname={database} "
        f"user=postgres pool_size={pool_size}\n"
        f"[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = any\npool_mode = transaction\nmax_client_conn = 200\n{turns}{keep}"
        f"logfile = {work}/pgbouncer.log\npidfile = {work}/pgbouncer.pid\n"
    )
    as_user: list[str] = []
    if os.geteuid() == 0:  # pgbouncer refuses to run as root
        user = pgcluster.unprivileged_user()
        shutil.chown(work, user=user)
        as_user = ["-u", user]
    proc = subprocess.Popen(
        [binary, *as_user, str(work / "pgbouncer.ini")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while not _accepts(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                log = (
                    (work / "pgbouncer.log").read_text()
                    if (work / "pgbouncer.log").exists()
                    else ""
                )
                pytest.fail(
                    f"pgbouncer did not start: {proc.stderr.read() if proc.stderr else b''!r} {log}"
                )
            time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(work, ignore_errors=True)


def _accepts(port: int) -> bool:
    import socket

    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
        return True
    return False


async def _mixed_load(svc: ChatService, world: World, n: int) -> tuple[int, list[DomainError]]:
    """n operations, 8 at a time: sends to a few chats, reads, lists."""
    chats = [uuid.uuid4() for _ in range(5)]
    errors: list[DomainError] = []
    done = 0

    async def one(i: int) -> None:
        nonlocal done
        chat_id = chats[i % len(chats)]
        try:
            if i % 3 == 0:
                await AdminService(svc.db).list_enabled_model_configs()
            else:
                await svc.send_message(
                    **world.who, chat_id=chat_id, client_message_id=uuid.uuid4(), content=f"m{i}"
                )
                await svc.get_chat(
                    account_id=world.account_id, user_id=world.user_id, chat_id=chat_id
                )
            done += 1
        except DomainError as exc:
            errors.append(exc)

    sem = asyncio.Semaphore(8)

    async def bounded(i: int) -> None:
        async with sem:
            await one(i)

    await asyncio.gather(*(bounded(i) for i in range(n)))
    return done, errors


async def test_the_service_works_through_pgbouncer_in_transaction_mode(
    fault_cluster: pgcluster.Cluster, fault_db: str
) -> None:
    async with open_service(fault_db) as admin:
        world = await seed_world(admin)
    with pgbouncer(fault_cluster, dbname(fault_db), pool_size=3) as port:
        dsn = f"postgresql://postgres@127.0.0.1:{port}/{dbname(fault_db)}?sslmode=disable"
        async with open_service(dsn, max_size=8, pgbouncer=True) as svc:
            done, errors = await _mixed_load(svc, world, 300)
        assert errors == [] and done == 300
        # The control: a pool not told about the pooler refuses to start, naming the fix
        # (its cached named statements would break behind it: tests/test_pooler_named.py).
        with pytest.raises(PoolerNotConfigured, match=r"pgbouncer=True"):
            await create_pool(dsn, min_size=1, max_size=8)


# --------------------------------------------------------------------------- 4. connection limit


async def test_a_connection_limit_below_the_pool_size_backs_off_and_keeps_connections(
    fault_db: str,
) -> None:
    limit, role = 3, f"limited_{uuid.uuid4().hex[:8]}"
    async with connect(fault_db) as su:
        await su.execute(
            f"CREATE ROLE {role} LOGIN CONNECTION LIMIT {limit};"
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};"
            f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}"
        )
    async with open_service(fault_db) as admin:
        world = await seed_world(admin)
    opened = 0

    async def init(conn: asyncpg.Connection[Any]) -> None:
        nonlocal opened
        opened += 1
        await init_connection(conn)

    pool: asyncpg.Pool[Any] = await asyncpg.create_pool(
        with_user(fault_db, role), init=init, min_size=0, max_size=2 * limit
    )
    try:
        svc = ChatService(Database(pool, retry=FAST_RETRY, timeouts=Timeouts(acquire=20)))
        done, errors = await _mixed_load(svc, world, 400)
    finally:
        await pool.close()
        async with connect(fault_db) as su:
            await su.execute(f"REASSIGN OWNED BY {role} TO postgres; DROP OWNED BY {role}")
            await su.execute(f"DROP ROLE {role}")
    assert errors == [] and done == 400
    assert opened <= limit, f"{opened} server connections opened for a limit of {limit}"


# --------------------------------------------------------------------------- 5. timeouts


@contextlib.asynccontextmanager
async def provider_row_locked(dsn: str, provider: str) -> AsyncIterator[asyncpg.Connection[Any]]:
    """An outside session holding `provider`'s row lock in an open transaction."""
    async with connect(dsn) as outside:
        tx = outside.transaction()
        await tx.start()
        await outside.execute(
            "SELECT 1 FROM chat_providers WHERE provider = $1 FOR UPDATE", provider
        )
        try:
            yield outside
        finally:
            await tx.rollback()


def new_config(svc: ChatService, provider: str) -> Awaitable[object]:
    return AdminService(svc.db).create_model_config(
        provider=provider, model=f"m-{uuid.uuid4().hex[:6]}", display_name="M",
        context_limit=1, compression_threshold=1,
    )  # fmt: skip


async def test_a_held_row_lock_cannot_tie_up_the_pool(fault_db: str) -> None:
    timeouts = Timeouts(acquire=2.0, statement=10.0, lock=0.3)
    async with open_service(fault_db, max_size=4, timeouts=timeouts) as svc:
        world = await seed_world(svc)
        chat_id = uuid.uuid4()
        await svc.send_message(
            **world.who, chat_id=chat_id, client_message_id=uuid.uuid4(), content="x"
        )
        async with provider_row_locked(fault_db, "alpha"):
            began = time.monotonic()
            writers = [asyncio.ensure_future(new_config(svc, "alpha")) for _ in range(4)]
            await asyncio.sleep(0.05)
            chat = await asyncio.wait_for(
                svc.get_chat(account_id=world.account_id, user_id=world.user_id, chat_id=chat_id),
                timeout=5,
            )
            results = await asyncio.gather(*writers, return_exceptions=True)
            elapsed = time.monotonic() - began
        assert chat.id == chat_id
        assert all(isinstance(r, TransientError) for r in results), results
        assert elapsed < 4, elapsed
        # Once the lock is gone the same write succeeds.
        await new_config(svc, "alpha")


async def test_a_full_pool_is_a_transient_error_after_the_acquire_timeout(fault_db: str) -> None:
    timeouts = Timeouts(acquire=0.3, statement=30.0, lock=30.0)
    async with open_service(fault_db, max_size=1, timeouts=timeouts) as svc:
        world = await seed_world(svc)
        async with provider_row_locked(fault_db, "alpha") as outside:
            writer = asyncio.ensure_future(new_config(svc, "alpha"))  # holds the only connection
            async with connect(fault_db) as admin:
                await wait_until_blocked_by(admin, outside.get_server_pid())
            began = time.monotonic()
            with pytest.raises(TransientError) as exc:
                await svc.get_chat(
                    account_id=world.account_id, user_id=world.user_id, chat_id=uuid.uuid4()
                )
            assert time.monotonic() - began < 2
            assert "no database connection became free" in exc.value.message
        await writer  # the lock is gone: the waiting write completes


async def test_statement_and_lock_timeouts_are_set_per_transaction(fault_db: str) -> None:
    pool = await create_pool(fault_db, min_size=1, max_size=1)
    try:
        limits = Timeouts(acquire=1.0, statement=0.25, lock=0.125)

        async def show(conn: Conn) -> tuple[str, str]:
            return (
                await conn.fetchval("SHOW statement_timeout"),
                await conn.fetchval("SHOW lock_timeout"),
            )

        got = await run_in_transaction(pool, show, RetryPolicy(), timeouts=limits)
        assert got == ("250ms", "125ms")
        assert await pool.fetchval("SHOW statement_timeout") == "0"  # only for that transaction

        async def slow(conn: Conn) -> None:
            await conn.execute("SELECT pg_sleep(5)")

        began = time.monotonic()
        with pytest.raises(TransientError):
            await run_in_transaction(pool, slow, RetryPolicy(), timeouts=limits)
        assert time.monotonic() - began < 2
    finally:
        await pool.close()
