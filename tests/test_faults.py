"""Fault injection on a real PostgreSQL the suite starts itself (never the shared server).

What is proved here:

* A backend killed (pg_terminate_backend) in the middle of send_message, delete_provider
  and default promotion, after the transaction had already written rows: nothing of it
  survives, the service raises TransientError (retryable, 503; OutcomeUnknown for the
  send, a statement that commits itself, when no attempt is left to repeat it), and a
  retry with the same input completes exactly once. A backend killed while its session
  sat idle in the transaction is a TransientError too, with nothing kept. A client retry
  of a message already stored returns it even if no model config is left to resolve
  (test_client_retry_of_a_stored_message_needs_no_model_config).
* A server restart while a pool is busy or idle: calls succeed again as soon as the
  server is back, and nothing committed before the restart is lost.
* A stopped server: calls fail fast with TransientError instead of hanging or leaking a
  driver exception, and work again once it is started.
* Serialization failures (40001) and deadlocks (40P01), both produced by PostgreSQL from
  really racing transactions, are retried in place a bounded number of times with jittered
  delays; the policy's delay bounds and attempt count are checked exactly; when attempts
  run out the caller gets TransientError. The service retries a real deadlock
  transparently. Every other driver failure becomes a typed error without retries
  (cancelled statement: TransientError; bad data: InvalidInput; FK: NotFound; anything
  else: InternalError), and a plain bug in the work is not disguised as one.
* A migration whose connection is killed half way leaves the database at the previous
  revision, and the next run can apply it.
"""

from __future__ import annotations

import asyncio
import random
import shutil
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from asyncpg.exceptions._base import InternalClientError

from chatdb.admin import AdminService
from chatdb.errors import (
    DomainError,
    InternalError,
    InvalidInput,
    NotFound,
    OutcomeUnknown,
    TransientError,
)
from chatdb.service import ChatService, ProviderDeleted
from chatdb.tx import Conn, RetryPolicy, run_in_transaction
from codegen import migrate
from tests import pgcluster
from tests.reliability_fixtures import (
    SCHEMA,
    assert_invariants,
    connect,
    fingerprint,
    open_service,
    scratch_db,
    wait_until_blocked_by,
)
from tests.world import World, seed_world

pytest_plugins = ["tests.reliability_fixtures"]


# --------------------------------------------------------------------------- helpers


class Blocker:
    """A second session holding row locks in an open transaction, to stop the service's
    transaction at a chosen statement."""

    def __init__(self, conn: asyncpg.Connection[Any]) -> None:
        self.conn = conn
        self.tx = conn.transaction()

    @property
    def pid(self) -> int:
        return self.conn.get_server_pid()

    async def lock(self, sql: str, *args: object) -> None:
        await self.conn.execute(sql, *args)

    async def __aenter__(self) -> Blocker:
        await self.tx.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.tx.rollback()


async def kill_when_blocked(dsn: str, call: Awaitable[Any], blocker: Blocker) -> BaseException:
    """Run `call`; once it waits for `blocker`'s lock, terminate its backend. The victim
    must have written already (it has a transaction id): what it wrote must not survive,
    whichever statement (or part of one) wrote it. Returns what `call` raised."""
    task = asyncio.ensure_future(call)
    async with connect(dsn) as admin:
        victim = await wait_until_blocked_by(admin, blocker.pid)
        assert victim["xid"] is not None, "the victim had not written anything yet"
        assert await admin.fetchval("SELECT pg_terminate_backend($1::int)", victim["pid"])
    try:
        await asyncio.wait_for(task, timeout=10)
    except BaseException as exc:
        return exc
    raise AssertionError("the call succeeded although its backend was terminated")


def assert_transient(exc: BaseException) -> None:
    assert isinstance(exc, TransientError), repr(exc)
    assert exc.retryable is True
    assert exc.status == 503


async def live_default(conn: asyncpg.Connection[Any]) -> uuid.UUID:
    ids = await conn.fetch("SELECT id FROM chat_model_configs WHERE is_default AND NOT deleted")
    assert len(ids) == 1
    value: uuid.UUID = ids[0]["id"]
    return value


# --------------------------------------------------------------------------- killed backends


async def test_send_message_killed_mid_transaction_rolls_back_whole_and_retry_stores_one(
    fault_db: str,
) -> None:
    # One pooled connection: the retry must also get past the dead one. One attempt: the
    # send, one statement that commits itself, would otherwise be repeated in place
    # (tests/test_send_killed_anywhere.py); the killed attempt is in doubt to the client.
    once = RetryPolicy(attempts=1)
    async with open_service(fault_db, max_size=1, retry=once) as svc, connect(fault_db) as other:
        world = await seed_world(svc)
        default = await live_default(other)
        before = await fingerprint(other)
        chat_id, mid = uuid.uuid4(), uuid.uuid4()
        msg: dict[str, Any] = dict(
            **world.who, chat_id=chat_id, client_message_id=mid, content="hello, kill me"
        )

        # The message insert's foreign-key check needs a KEY SHARE lock on the default
        # config; holding it FOR UPDATE stops the send after it inserted the new chat row
        # and the message row.
        async with Blocker(other) as blocker:
            await blocker.lock("SELECT 1 FROM chat_model_configs WHERE id = $1 FOR UPDATE", default)
            exc = await kill_when_blocked(fault_db, svc.send_message(**msg), blocker)
        assert isinstance(exc, OutcomeUnknown) and exc.retryable, repr(exc)
        assert await fingerprint(other) == before  # no chat, no message, nothing

        sent = await svc.send_message(**msg)
        assert (sent.duplicate, sent.created_chat) == (False, True)
        again = await svc.send_message(**msg)  # the client retries once more: a no-op
        assert again.duplicate and again.message.id == sent.message.id
        rows = await other.fetch(
            "SELECT content FROM chat_messages WHERE client_message_id = $1", mid
        )
        assert [r["content"] for r in rows] == ["hello, kill me"]
        assert await other.fetchval("SELECT message_count FROM chats WHERE id = $1", chat_id) == 1
    await assert_invariants(fault_db)


async def test_delete_provider_killed_mid_transaction_rolls_back_whole(fault_db: str) -> None:
    async with open_service(fault_db, max_size=1) as svc, connect(fault_db) as other:
        world = await seed_world(svc)  # alpha-model-0 is the default
        alpha0, beta0 = world.configs["alpha"][0], world.configs["beta"][0]
        assert await live_default(other) == alpha0
        chat = await svc.send_message(
            **world.who, chat_id=uuid.uuid4(), client_message_id=uuid.uuid4(), content="hi"
        )
        before = await fingerprint(other)

        # delete_provider soft-deletes alpha's configs, deletes the provider row, then
        # promotes beta-model-0; a share lock on that row stops it right there.
        async with Blocker(other) as blocker:
            await blocker.lock("SELECT 1 FROM chat_model_configs WHERE id = $1 FOR SHARE", beta0)
            exc = await kill_when_blocked(
                fault_db, AdminService(svc.db).delete_provider(provider="alpha"), blocker
            )
        assert_transient(exc)
        assert await fingerprint(other) == before
        assert [p.provider for p in await AdminService(svc.db).list_providers()] == [
            "alpha",
            "beta",
        ]

        deleted = await AdminService(svc.db).delete_provider(provider="alpha")
        assert deleted.soft_deleted_configs == 2
        assert deleted.promoted_default is not None and deleted.promoted_default.id == beta0
        assert await live_default(other) == beta0
        again = await AdminService(svc.db).delete_provider(
            provider="alpha"
        )  # a second retry says so
        assert again.already_deleted and again == ProviderDeleted(  # what the first one did
            "alpha", 2, deleted.promoted_default, already_deleted=True
        )
        # History still resolves: the old chat's message keeps its (soft-deleted) config.
        page = await svc.list_messages(
            account_id=world.account_id, user_id=world.user_id, chat_id=chat.chat.id
        )
        assert [m.model_config_id for m in page.messages] == [alpha0]
    await assert_invariants(fault_db)


async def test_default_promotion_killed_mid_transaction_rolls_back_whole(fault_db: str) -> None:
    async with open_service(fault_db, max_size=1) as svc, connect(fault_db) as other:
        world = await seed_world(svc)
        alpha0, alpha1 = world.configs["alpha"]
        assert await live_default(other) == alpha0
        before = await fingerprint(other)

        # Deleting the default soft-deletes it, then promotes alpha-model-1.
        async with Blocker(other) as blocker:
            await blocker.lock("SELECT 1 FROM chat_model_configs WHERE id = $1 FOR SHARE", alpha1)
            exc = await kill_when_blocked(
                fault_db, AdminService(svc.db).delete_model_config(id=alpha0), blocker
            )
        assert_transient(exc)
        assert await fingerprint(other) == before
        assert await live_default(other) == alpha0

        promoted = (await AdminService(svc.db).delete_model_config(id=alpha0)).promoted_default
        assert promoted is not None and promoted.id == alpha1 and promoted.is_default
        assert await live_default(other) == alpha1
        assert (await AdminService(svc.db).delete_model_config(id=alpha0)).already_deleted
    await assert_invariants(fault_db)


async def test_client_retry_of_a_stored_message_needs_no_model_config(fault_db: str) -> None:
    # A TransientError can hide a commit (the connection died during COMMIT), so clients
    # retry with the same client_message_id. The retry must return the stored message
    # even if, meanwhile, the model configs it would resolve are gone.
    async with open_service(fault_db) as svc:
        world = await seed_world(svc, providers=("solo",), configs_per_provider=1)
        chat_id, mid = uuid.uuid4(), uuid.uuid4()
        msg: dict[str, Any] = dict(
            **world.who, chat_id=chat_id, client_message_id=mid, content="stored once"
        )
        first = await svc.send_message(**msg)
        await AdminService(svc.db).delete_provider(
            provider="solo"
        )  # no live config, no default left
        again = await svc.send_message(**msg)
        assert again.duplicate and again.message == first.message
    await assert_invariants(fault_db)


# --------------------------------------------------------------------------- restarts


async def _send(svc: ChatService, world: World, chat_id: uuid.UUID, content: str) -> uuid.UUID:
    mid = uuid.uuid4()
    await svc.send_message(**world.who, chat_id=chat_id, client_message_id=mid, content=content)
    return mid


async def postmaster_started(dsn: str) -> object:
    async with connect(dsn) as conn:
        return await conn.fetchval("SELECT pg_postmaster_start_time()")


async def test_pool_recovers_from_restart_under_load(
    fault_cluster: pgcluster.Cluster, fault_db: str
) -> None:
    workers = 8
    retried = 0  # tries the service repeated in place (a send lost with its connection)

    async def counted_sleep(delay: float) -> None:
        nonlocal retried
        retried += 1
        await asyncio.sleep(delay)

    policy = RetryPolicy(attempts=8, base_delay=0.002, max_delay=0.05, sleep=counted_sleep)
    async with open_service(fault_db, min_size=workers, max_size=workers, retry=policy) as svc:
        world = await seed_world(svc, configs_per_provider=1)
        started_at = await postmaster_started(fault_db)
        acked: dict[uuid.UUID, tuple[uuid.UUID, str]] = {}
        transient = Counter[str]()
        restarted_at: float | None = None
        stop = asyncio.Event()

        async def worker(i: int) -> None:
            chat_id = uuid.uuid4()
            n = 0
            while not stop.is_set():
                mid, content = uuid.uuid4(), f"worker {i} message {n}"
                while True:  # like a client: retry the same message until it is stored
                    began = time.monotonic()
                    try:
                        await svc.send_message(
                            **world.who, chat_id=chat_id, client_message_id=mid, content=content
                        )
                    except (TransientError, OutcomeUnknown):  # the latter: lost in COMMIT
                        late = restarted_at is not None and began > restarted_at
                        transient["after restart" if late else "during restart"] += 1
                        await asyncio.sleep(0.02)
                        continue
                    acked[mid] = (chat_id, content)
                    break
                n += 1

        tasks = [asyncio.create_task(worker(i)) for i in range(workers)]
        try:
            await asyncio.sleep(0.5)
            acked_before, retried_before = dict(acked), retried
            await asyncio.to_thread(fault_cluster.restart)
            restarted_at = time.monotonic()
            await asyncio.sleep(1.0)
        finally:
            stop.set()
            await asyncio.gather(*tasks)

    assert await postmaster_started(fault_db) != started_at  # it really restarted
    assert acked_before, "no message was stored before the restart"
    # A send in flight either failed (retryable) or was repeated in place by the service.
    hit = transient["during restart"] + retried - retried_before
    assert hit > 0, "the restart never hit a call in flight"
    assert transient["after restart"] == 0, transient
    assert len(acked) > len(acked_before)
    async with connect(fault_db) as conn:
        rows = await conn.fetch("SELECT client_message_id, chat_id, content FROM chat_messages")
    stored = {r["client_message_id"]: (r["chat_id"], r["content"]) for r in rows}
    assert len(rows) == len(stored)
    assert stored == acked  # every acknowledged message, once; nothing else
    await assert_invariants(fault_db)


async def test_idle_pool_survives_restart_it_did_not_see(
    fault_cluster: pgcluster.Cluster, fault_db: str
) -> None:
    async with open_service(fault_db, min_size=4, max_size=4) as svc:
        world = await seed_world(svc)
        chat_id = uuid.uuid4()
        first = await _send(svc, world, chat_id, "before the restart")
        await asyncio.gather(
            *(AdminService(svc.db).list_providers() for _ in range(8))
        )  # 4 idle connections
        # Restart while blocking the event loop: the pool cannot notice its connections
        # die, so the next calls find dead ones; they must still succeed at once.
        fault_cluster.restart()
        assert [p.provider for p in await AdminService(svc.db).list_providers()] == [
            "alpha",
            "beta",
        ]
        second = await _send(svc, world, chat_id, "after the restart")
        page = await svc.list_messages(
            account_id=world.account_id, user_id=world.user_id, chat_id=chat_id
        )
        assert [m.client_message_id for m in page.messages] == [first, second]
        results = await asyncio.gather(
            *(AdminService(svc.db).list_model_configs() for _ in range(8))
        )
        assert all(len(r) == 4 for r in results)
    await assert_invariants(fault_db)


async def test_stopped_server_gives_fast_transient_errors_then_recovers(
    fault_cluster: pgcluster.Cluster, fault_db: str
) -> None:
    async with open_service(fault_db, min_size=2, max_size=2) as svc:
        world = await seed_world(svc)
        chat_id = uuid.uuid4()
        first = await _send(svc, world, chat_id, "stored before the outage")
        mid = uuid.uuid4()
        msg: dict[str, Any] = dict(
            **world.who, chat_id=chat_id, client_message_id=mid, content="sent in the outage"
        )
        await asyncio.to_thread(fault_cluster.stop)
        try:
            began = time.monotonic()
            with pytest.raises(TransientError) as err:
                await svc.send_message(**msg)
            assert err.value.retryable
            with pytest.raises(TransientError):
                await svc.list_chats(account_id=world.account_id, user_id=world.user_id)
            assert time.monotonic() - began < 5
        finally:
            await asyncio.to_thread(fault_cluster.start)
        sent = await svc.send_message(**msg)  # the client's retry
        assert not sent.duplicate
        page = await svc.list_messages(
            account_id=world.account_id, user_id=world.user_id, chat_id=chat_id
        )
        assert [m.client_message_id for m in page.messages] == [first, mid]
    await assert_invariants(fault_db)


# --------------------------------------------------------------------------- retry policy


def test_retry_delay_is_full_jitter_within_bounds() -> None:
    policy = RetryPolicy(attempts=10, base_delay=0.01, max_delay=0.3, rng=random.Random(42))
    for attempt in range(1, 11):
        cap = min(0.3, 0.01 * 2**attempt)
        samples = [policy.delay(attempt) for _ in range(2000)]
        assert all(0.0 <= s <= cap for s in samples)
        # Full jitter: the whole range is used, centred on half the cap.
        assert min(samples) < 0.05 * cap and max(samples) > 0.95 * cap
        assert abs(sum(samples) / len(samples) - cap / 2) < 0.05 * cap
    assert RetryPolicy(base_delay=0.0).delay(3) == 0.0


def test_retry_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(base_delay=-1)


class Sleeps:
    """An injectable sleep that records the delays it was asked for."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(delay)


@pytest.fixture
async def pool(fault_db: str) -> AsyncIterator[asyncpg.Pool[Any]]:
    async with connect(fault_db) as conn:
        await conn.execute(
            "CREATE TABLE race (id int PRIMARY KEY, n int NOT NULL);"
            "INSERT INTO race VALUES (1, 0), (2, 0);"
            "CREATE TABLE attempts (attempt int NOT NULL)"
        )
    # Each session detects deadlocks quickly; the test's own sessions keep the default.
    p: asyncpg.Pool[Any] = await asyncpg.create_pool(
        fault_db, min_size=2, max_size=2, server_settings={"deadlock_timeout": "50ms"}
    )
    try:
        yield p
    finally:
        await p.close()


@pytest.mark.parametrize(
    "error", [asyncpg.SerializationError, asyncpg.DeadlockDetectedError], ids=["40001", "40P01"]
)
async def test_retries_are_bounded_jittered_and_give_up_with_transient_error(
    pool: asyncpg.Pool[Any], error: type[asyncpg.PostgresError]
) -> None:
    sleeps = Sleeps()
    policy = RetryPolicy(
        attempts=4, base_delay=0.01, max_delay=0.03, rng=random.Random(1), sleep=sleeps
    )
    calls = 0

    async def work(conn: Conn) -> None:
        nonlocal calls
        calls += 1
        await conn.execute("INSERT INTO attempts VALUES ($1)", calls)
        raise error("racing transaction")

    with pytest.raises(TransientError) as err:
        await run_in_transaction(pool, work, policy)
    assert calls == 4
    assert err.value.retryable and isinstance(err.value.__cause__, error)
    assert len(sleeps.delays) == 3
    for attempt, delay in enumerate(sleeps.delays, start=1):
        assert 0.0 <= delay <= min(0.03, 0.01 * 2**attempt)
    assert await pool.fetchval("SELECT count(*) FROM attempts") == 0  # each try rolled back


async def test_a_transient_race_is_retried_until_it_succeeds(pool: asyncpg.Pool[Any]) -> None:
    sleeps = Sleeps()
    calls = 0

    async def work(conn: Conn) -> int:
        nonlocal calls
        calls += 1
        await conn.execute("INSERT INTO attempts VALUES ($1)", calls)
        if calls < 3:
            raise asyncpg.SerializationError("racing transaction")
        return calls

    assert await run_in_transaction(pool, work, RetryPolicy(sleep=sleeps)) == 3
    assert len(sleeps.delays) == 2
    rows = await pool.fetch("SELECT attempt FROM attempts")
    assert [r["attempt"] for r in rows] == [3]  # only the successful try's write is kept


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (asyncpg.QueryCanceledError("statement timeout"), TransientError),
        (asyncpg.LockNotAvailableError("lock timeout"), TransientError),
        (asyncpg.ForeignKeyViolationError("no such parent"), NotFound),
        (asyncpg.InvalidTextRepresentationError("bad json"), InvalidInput),
        (asyncpg.UniqueViolationError("duplicate"), InternalError),
        (asyncpg.InterfaceError("another operation is in progress"), InternalError),
        (InternalClientError("cannot switch to state 15; another operation (2)"), TransientError),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else v.__name__,
)
async def test_driver_errors_become_typed_errors_without_retries(
    pool: asyncpg.Pool[Any], raised: Exception, expected: type[DomainError]
) -> None:
    calls = 0

    async def work(conn: Conn) -> None:
        nonlocal calls
        calls += 1
        raise raised

    with pytest.raises(expected) as err:
        await run_in_transaction(pool, work, RetryPolicy())
    assert calls == 1 and err.value.__cause__ is raised
    assert err.value.retryable is (expected is TransientError)


async def test_backend_killed_between_statements_is_a_transient_error(
    pool: asyncpg.Pool[Any], fault_db: str
) -> None:
    # Killed while idle in transaction: the FATAL message arrives with no statement
    # running, and the next statement finds the connection in whatever state it is in.
    async def work(conn: Conn) -> None:
        await conn.execute("INSERT INTO attempts VALUES (1)")
        pid = conn.get_server_pid()
        async with connect(fault_db) as admin:
            assert await admin.fetchval("SELECT pg_terminate_backend($1::int)", pid)
            while await admin.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid):
                await asyncio.sleep(0.01)
        await conn.execute("INSERT INTO attempts VALUES (2)")

    for _ in range(3):
        with pytest.raises(TransientError):
            await run_in_transaction(pool, work, RetryPolicy())
    assert await pool.fetchval("SELECT count(*) FROM attempts") == 0


async def test_a_bug_in_the_work_is_not_disguised(pool: asyncpg.Pool[Any]) -> None:
    async def work(conn: Conn) -> None:
        raise KeyError("a bug")

    with pytest.raises(KeyError):
        await run_in_transaction(pool, work, RetryPolicy())


async def test_a_real_statement_timeout_is_a_transient_error(pool: asyncpg.Pool[Any]) -> None:
    async def work(conn: Conn) -> None:
        await conn.execute("INSERT INTO attempts VALUES (1)")
        await conn.execute("SET LOCAL statement_timeout = '50ms'")
        await conn.execute("SELECT pg_sleep(5)")

    with pytest.raises(TransientError):
        await run_in_transaction(pool, work, RetryPolicy())
    assert await pool.fetchval("SELECT count(*) FROM attempts") == 0


def crossing_updates(
    barrier: asyncio.Barrier, errors: list[type[BaseException]], calls: Counter[int]
) -> Callable[[int, int], Callable[[Conn], Awaitable[None]]]:
    """Work that updates row `first`, waits until the other transaction updated its first
    row, then updates `second`: two of them with crossed rows deadlock."""

    def make(first: int, second: int) -> Callable[[Conn], Awaitable[None]]:
        async def work(conn: Conn) -> None:
            calls[first] += 1
            try:
                await conn.execute("UPDATE race SET n = n + 1 WHERE id = $1", first)
                if calls[first] == 1:
                    await asyncio.wait_for(barrier.wait(), timeout=10)
                await conn.execute("UPDATE race SET n = n + 1 WHERE id = $1", second)
            except asyncpg.PostgresError as exc:
                errors.append(type(exc))
                raise

        return work

    return make


async def test_real_deadlock_is_retried_in_place(pool: asyncpg.Pool[Any]) -> None:
    errors: list[type[BaseException]] = []
    calls = Counter[int]()
    make = crossing_updates(asyncio.Barrier(2), errors, calls)
    sleeps = Sleeps()
    policy = RetryPolicy(attempts=3, sleep=sleeps)
    await asyncio.gather(
        run_in_transaction(pool, make(1, 2), policy),
        run_in_transaction(pool, make(2, 1), policy),
    )
    assert errors == [asyncpg.DeadlockDetectedError]  # PostgreSQL picked one victim
    assert sum(calls.values()) == 3 and len(sleeps.delays) == 1
    rows = await pool.fetch("SELECT id, n FROM race ORDER BY id")
    assert [(r["id"], r["n"]) for r in rows] == [(1, 2), (2, 2)]  # both committed once


async def test_real_deadlock_without_retries_left_is_a_transient_error(
    pool: asyncpg.Pool[Any],
) -> None:
    errors: list[type[BaseException]] = []
    make = crossing_updates(asyncio.Barrier(2), errors, Counter())
    policy = RetryPolicy(attempts=1)
    results = await asyncio.gather(
        run_in_transaction(pool, make(1, 2), policy),
        run_in_transaction(pool, make(2, 1), policy),
        return_exceptions=True,
    )
    failures = [r for r in results if isinstance(r, BaseException)]
    assert len(failures) == 1 and errors == [asyncpg.DeadlockDetectedError]
    assert_transient(failures[0])
    assert isinstance(failures[0].__cause__, asyncpg.DeadlockDetectedError)
    rows = await pool.fetch("SELECT id, n FROM race ORDER BY id")
    assert [(r["id"], r["n"]) for r in rows] == [(1, 1), (2, 1)]  # the victim left nothing


async def test_real_serialization_failure_is_retried_without_losing_an_update(
    pool: asyncpg.Pool[Any],
) -> None:
    barrier = asyncio.Barrier(2)
    errors: list[type[BaseException]] = []
    calls = 0

    async def increment(conn: Conn) -> None:
        nonlocal calls
        calls += 1
        first_try = calls <= 2
        try:
            await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            n = await conn.fetchval("SELECT n FROM race WHERE id = 1")
            if first_try:  # both read 0 before either writes
                await asyncio.wait_for(barrier.wait(), timeout=10)
            await conn.execute("UPDATE race SET n = $1 WHERE id = 1", n + 1)
        except asyncpg.PostgresError as exc:
            errors.append(type(exc))
            raise

    policy = RetryPolicy(attempts=3)
    await asyncio.gather(
        run_in_transaction(pool, increment, policy), run_in_transaction(pool, increment, policy)
    )
    assert errors == [asyncpg.SerializationError]
    assert calls == 3
    assert await pool.fetchval("SELECT n FROM race WHERE id = 1") == 2  # no lost update


async def test_service_retries_a_real_deadlock_transparently(fault_db: str) -> None:
    # A waiting backend checks for a deadlock once, deadlock_timeout after it began to
    # wait. The service's sessions check after 0.5 s (the cycle is closed well before),
    # the test's after 10 s: the service's transaction is the one PostgreSQL aborts.
    settings = {"deadlock_timeout": "500ms"}
    async with (
        open_service(fault_db, max_size=2, server_settings=settings) as svc,
        connect(fault_db) as other,
    ):
        world = await seed_world(svc)
        chat_id = uuid.uuid4()
        await _send(svc, world, chat_id, "first")
        default = await live_default(other)
        before = await deadlock_count(other)
        await other.execute("SET deadlock_timeout = '10s'")
        mid = uuid.uuid4()
        async with Blocker(other) as blocker:
            # send_message locks the chat row, inserts, then waits on the config lock...
            await blocker.lock("SELECT 1 FROM chat_model_configs WHERE id = $1 FOR UPDATE", default)
            call = asyncio.ensure_future(
                svc.send_message(
                    **world.who, chat_id=chat_id, client_message_id=mid, content="second"
                )
            )
            await wait_until_blocked_by(other, blocker.pid)
            # ...and now we wait for its chat row lock: a cycle.
            await blocker.lock(
                "SELECT 1 FROM chats WHERE id = $1 AND account_id = $2 FOR UPDATE",
                chat_id,
                world.account_id,
            )
        sent = await asyncio.wait_for(call, timeout=10)
        assert not sent.duplicate and sent.chat.message_count == 2
    # Backends report their statistics when they exit (closing the pool) at the latest.
    async with connect(fault_db) as conn:
        for _ in range(100):
            if await deadlock_count(conn) > before:
                break
            await asyncio.sleep(0.05)
        assert await deadlock_count(conn) == before + 1  # it was a real 40P01
    await assert_invariants(fault_db)


async def deadlock_count(conn: asyncpg.Connection[Any]) -> int:
    n: int = await conn.fetchval(
        "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
    )
    return n


# --------------------------------------------------------------------------- migrations


async def test_migration_killed_half_way_leaves_previous_revision_and_rerun_applies(
    fault_cluster: pgcluster.Cluster, tmp_path: Path
) -> None:
    # tests/test_migrate.py covers a failing statement and concurrent runs; this is the
    # fault that is not a bad statement: the migration's connection dies mid-flight.
    schema = tmp_path / "schema"
    shutil.copytree(SCHEMA, schema)
    last = max(p.stem for p in SCHEMA.glob("*.sql") if not p.stem.endswith(".rollback"))
    (schema / "9999_slow.sql").write_text(
        f"-- depends: {last}\nCREATE TABLE half_done (id integer);\nSELECT pg_sleep(60);\n"
    )
    (schema / "9999_slow.rollback.sql").write_text("DROP TABLE half_done;\n")
    async with scratch_db(fault_cluster, template=None) as dsn:
        migrate.apply(dsn, schema, revision=last)
        run = asyncio.ensure_future(asyncio.to_thread(migrate.apply, dsn, schema, lock_timeout=5))
        async with connect(dsn) as admin:
            for _ in range(500):
                pid = await admin.fetchval(
                    "SELECT pid FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' "
                    "AND pid <> pg_backend_pid()"
                )
                if pid is not None:
                    break
                await asyncio.sleep(0.02)
            assert pid is not None, "the slow migration never started"
            assert await admin.fetchval("SELECT pg_terminate_backend($1::int)", pid)
        with pytest.raises(migrate.MigrationError) as err:
            await asyncio.wait_for(run, timeout=30)
        assert "\n" not in str(err.value)
        statuses = {s.id: s.applied for s in migrate.status(dsn, schema)}
        assert statuses.pop("9999_slow") is False and all(statuses.values())
        async with connect(dsn) as conn:
            assert await conn.fetchval("SELECT to_regclass('half_done')") is None

        (schema / "9999_slow.sql").write_text(
            f"-- depends: {last}\nCREATE TABLE half_done (id integer);\n"
        )
        assert migrate.apply(dsn, schema, lock_timeout=5) == ["9999_slow"]
        async with connect(dsn) as conn:
            assert await conn.fetchval("SELECT to_regclass('half_done')::text") == "half_done"
