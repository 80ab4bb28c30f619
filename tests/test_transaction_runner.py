"""The transaction runner's promises, each against a scripted connection (no server).

`python -m mutation tx` found the decisions of `chatdb.tx` — retry, give up, which error —
only partly pinned by the fault tests, which need a real failure at the right moment.
Here a fake pool fails exactly where a test says, so each promise is stated once:
races are retried a bounded number of times with full-jitter sleeps, a connection lost
before the work is retried, lost during the work is TransientError, lost during COMMIT
is OutcomeUnknown (a read-only result stands), and every other driver error is a typed
DomainError.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import asyncpg
import pytest
from asyncpg.exceptions import _base as asyncpg_base

from chatdb import tx
from chatdb.errors import (
    DomainError,
    InternalError,
    InvalidInput,
    NotFound,
    OutcomeUnknown,
    TransientError,
)


class FakeConn:
    def __init__(self, fail: dict[str, BaseException], closed: bool | None = False) -> None:
        self.fail, self.closed = fail, closed
        self.sent: list[str] = []

    async def execute(self, sql: str) -> str:
        self.sent.append(sql)
        key = "COMMIT" if sql == "COMMIT" else "ROLLBACK" if sql == "ROLLBACK" else "BEGIN"
        if key in self.hang:
            await asyncio.sleep(3600)  # no answer: a network gone silent
        if key in self.fail:
            raise self.fail.pop(key)
        return key

    hang: frozenset[str] = frozenset()

    def terminate(self) -> None:
        self.closed = True

    def is_closed(self) -> bool:
        if self.closed is None:
            raise asyncpg.InterfaceError("detached")
        return self.closed


Script = dict[str, BaseException]


class FakePool:
    """Hands out one scripted connection per try: `tries[i]` is try i's failures."""

    def __init__(self, *tries: Script, closed: bool | None = False) -> None:
        self.tries, self.closed = list(tries), closed
        self.conns: list[FakeConn] = []
        self.timeouts: list[float | None] = []

    def acquire(self, timeout: float | None = None) -> Acquiring:
        """As asyncpg's: awaited (then `release`d), or used as `async with`."""
        self.timeouts.append(timeout)
        return Acquiring(self)

    async def take(self) -> FakeConn:
        script = self.tries.pop(0) if self.tries else {}
        if "ACQUIRE" in script:
            raise script["ACQUIRE"]
        if "ACQUIRE_HANG" in script:
            await asyncio.sleep(3600)  # no connection becomes free
        conn = FakeConn(script, self.closed)
        self.conns.append(conn)
        return conn

    async def release(self, conn: FakeConn, timeout: float | None = None) -> None:
        if "RELEASE" in conn.fail:  # handing the connection back fails (the pool drops it)
            raise conn.fail["RELEASE"]


class Acquiring:
    def __init__(self, pool: FakePool) -> None:
        self.pool = pool

    def __await__(self) -> Any:
        return self.pool.take().__await__()

    async def __aenter__(self) -> FakeConn:
        self.conn = await self.pool.take()
        return self.conn

    async def __aexit__(self, *exc: object) -> None:
        await self.pool.release(self.conn)


def policy(attempts: int = 3, sleeps: list[float] | None = None) -> tx.RetryPolicy:
    async def sleep(d: float) -> None:
        if sleeps is not None:
            sleeps.append(d)

    return tx.RetryPolicy(attempts=attempts, base_delay=0.01, max_delay=0.05,
                          rng=random.Random(7), sleep=sleep)  # fmt: skip


def work_failing(*errors: BaseException) -> Any:
    todo = list(errors)

    async def work(conn: Any) -> str:
        assert isinstance(conn, FakeConn) and conn.sent[-1].startswith("BEGIN ISOLATION LEVEL")
        if todo:
            raise todo.pop(0)
        return "done"

    return work


async def run(pool: FakePool, work: Any, p: tx.RetryPolicy | None = None, **kw: Any) -> Any:
    return await tx.run_in_transaction(pool, work, p or policy(), **kw)  # type: ignore[arg-type]


def deadlock() -> BaseException:
    return asyncpg.DeadlockDetectedError("deadlock detected")


async def test_a_race_is_retried_and_each_sleep_is_within_its_jitter_bound() -> None:
    sleeps: list[float] = []
    pool = FakePool()
    work = work_failing(deadlock(), asyncpg.SerializationError("could not serialize"))
    assert await run(pool, work, policy(attempts=3, sleeps=sleeps)) == "done"
    assert len(pool.conns) == 3 and len(sleeps) == 2
    for n, slept in enumerate(sleeps, start=1):
        assert 0.0 <= slept <= min(0.05, 0.01 * 2**n)
    assert pool.conns[0].sent[-1] == "ROLLBACK" and pool.conns[-1].sent[-1] == "COMMIT"


async def test_races_give_up_after_the_attempts_with_a_transient_error() -> None:
    sleeps: list[float] = []
    pool = FakePool()
    with pytest.raises(TransientError, match="gave up after 3 attempts: DeadlockDetectedError"):
        await run(pool, work_failing(*(deadlock() for _ in range(5))), policy(3, sleeps))
    assert len(pool.conns) == 3 and len(sleeps) == 2


def test_full_jitter_is_uniform_up_to_the_capped_exponential() -> None:
    class Recorder(random.Random):
        def uniform(self, a: float, b: float) -> float:
            return b  # the upper bound of the interval asked for

    p = tx.RetryPolicy(base_delay=0.01, max_delay=0.1, rng=Recorder())
    assert [p.delay(n) for n in (1, 2, 3, 4, 30)] == [0.02, 0.04, 0.08, 0.1, 0.1]
    assert tx.RetryPolicy(rng=random.Random(1)).delay(1) <= 0.01


@pytest.mark.parametrize(
    "kw", [{"attempts": 0}, {"base_delay": -1.0}, {"max_delay": -0.1}]
)  # fmt: skip
def test_a_policy_that_cannot_work_is_refused(kw: dict[str, Any]) -> None:
    with pytest.raises(ValueError) as exc:
        tx.RetryPolicy(**kw)
    assert str(exc.value) in (
        "RetryPolicy.attempts must be at least 1",
        "RetryPolicy delays must not be negative",
    )
    assert tx.RetryPolicy(attempts=1, base_delay=0, max_delay=0).attempts == 1


def test_timeouts_bound_every_transaction_and_refuse_nonsense() -> None:
    t = tx.Timeouts(acquire=1.5, statement=1.5, lock=2)
    assert t.begin_sql(readonly=False) == (
        "BEGIN ISOLATION LEVEL READ COMMITTED;SET LOCAL idle_in_transaction_session_timeout = "
        "6500;SET LOCAL statement_timeout = 1500;SET LOCAL lock_timeout = 2000"
    )
    off = tx.Timeouts(statement=0, lock=0)  # 0 turns a bound off, as in PostgreSQL
    assert off.begin_sql(readonly=False).endswith(
        "statement_timeout = 0;SET LOCAL lock_timeout = 0"
    )
    assert t.begin_sql(readonly=True).startswith("BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY;")
    for name, bad in (("acquire", 0), ("statement", -1), ("lock", -1)):
        with pytest.raises(ValueError) as exc:
            tx.Timeouts(**{name: float(bad)}, to_workers=False)
        assert str(exc.value).startswith(f"Timeouts.{name} must be a finite number of seconds")


async def test_each_try_waits_for_a_connection_at_most_the_acquire_bound() -> None:
    pool = FakePool({"ACQUIRE": TimeoutError()})
    with pytest.raises(TransientError, match=r"^no database connection became free in time$"):
        await run(pool, work_failing(), timeouts=tx.Timeouts(acquire=0.5))
    pool = FakePool({"ACQUIRE_HANG": TimeoutError()})
    began = asyncio.get_running_loop().time()
    with pytest.raises(TransientError, match=r"^no database connection became free in time$"):
        await asyncio.wait_for(run(pool, work_failing(), timeouts=tx.Timeouts(acquire=0.2)), 5)
    assert asyncio.get_running_loop().time() - began < 1.5 and pool.conns == []


async def test_a_connection_dead_before_the_work_is_retried_then_given_up() -> None:
    lost = ConnectionResetError("reset")
    pool = FakePool({"BEGIN": lost})
    assert await run(pool, work_failing()) == "done"
    assert len(pool.conns) == 2
    pool = FakePool(*(Script(BEGIN=ConnectionResetError("reset")) for _ in range(3)))
    with pytest.raises(TransientError, match=r"after 3 attempts \(starting the transaction\)"):
        await run(pool, work_failing(), policy(3))


async def test_a_connection_lost_during_the_work_is_transient_and_not_retried() -> None:
    pool = FakePool()
    with pytest.raises(TransientError) as exc:
        await run(pool, work_failing(ConnectionResetError("reset"), deadlock()))
    assert exc.value.status == 503 and len(pool.conns) == 1


async def test_a_closed_connection_is_not_rolled_back_and_counts_as_lost() -> None:
    for closed in (True, None):  # None: the proxy was detached (InterfaceError)
        pool = FakePool(closed=closed)
        with pytest.raises(TransientError):
            await run(pool, work_failing(asyncpg.PostgresError("boom")))
        assert "ROLLBACK" not in pool.conns[0].sent


async def test_a_connection_lost_in_commit_is_outcome_unknown_unless_read_only() -> None:
    pool = FakePool({"COMMIT": ConnectionResetError("reset")})
    with pytest.raises(OutcomeUnknown):
        await run(pool, work_failing())
    pool = FakePool({"COMMIT": ConnectionResetError("reset")})
    assert await run(pool, work_failing(), readonly=True) == "done"
    assert len(pool.conns) == 1


async def test_a_loss_found_only_in_the_exception_chain_counts_as_lost() -> None:
    wrapped = asyncpg.InterfaceError("cannot use the connection")
    wrapped.__context__ = ConnectionResetError("reset")
    pool = FakePool({"BEGIN": wrapped})
    assert await run(pool, work_failing()) == "done"
    assert len(pool.conns) == 2


async def test_too_many_connections_backs_off_until_the_acquire_deadline() -> None:
    refused = asyncpg.TooManyConnectionsError("too many clients")
    pool = FakePool(*(Script(ACQUIRE=refused) for _ in range(4)))
    assert await run(pool, work_failing(), policy(attempts=2)) == "done"
    assert len(pool.timeouts) == 5  # beyond policy.attempts: bounded by time instead
    pool = FakePool(*(Script(ACQUIRE=refused) for _ in range(10_000)))

    async def slow(d: float) -> None:
        await asyncio.sleep(0.01)

    p = tx.RetryPolicy(attempts=1, sleep=slow)
    with pytest.raises(
        TransientError, match=r"^the database refuses new connections \(too many\)$"
    ):
        await run(pool, work_failing(), p, timeouts=tx.Timeouts(acquire=0.05))


@pytest.mark.parametrize(
    ("error", "expected", "message"),
    [
        (
            asyncpg.QueryCanceledError("timeout"),
            TransientError,
            r"^the statement was cancelled: QueryCanceledError$",
        ),
        (
            asyncpg.LockNotAvailableError("lock"),
            TransientError,
            r"^the statement was cancelled: LockNotAvailableError$",
        ),
        (asyncpg.ForeignKeyViolationError("fk"), NotFound, None),
        (
            asyncpg.DataError("22P02"),
            InvalidInput,
            r"^A value is not acceptable to the database\.$",
        ),
        (
            asyncpg_base.DataError("encode"),
            InvalidInput,
            r"^A value is not acceptable to the database\.$",
        ),
        (asyncpg.UniqueViolationError("dup"), InternalError, r"^database error 23505$"),
        (asyncpg.InterfaceError("misuse"), InternalError, "unexpected InterfaceError"),
    ],
)
async def test_other_driver_errors_become_typed_domain_errors_without_retry(
    error: BaseException, expected: type[Exception], message: str | None
) -> None:
    pool = FakePool()
    with pytest.raises(expected, match=message):
        await run(pool, work_failing(error, error))
    assert len(pool.conns) == 1 and pool.conns[0].sent[-1] == "ROLLBACK"


async def test_a_failed_rollback_does_not_hide_the_error() -> None:
    pool = FakePool({"ROLLBACK": ConnectionResetError("gone")})
    with pytest.raises(NotFound):
        await run(pool, work_failing(asyncpg.ForeignKeyViolationError("fk")))


async def test_a_bug_in_the_work_propagates_unchanged() -> None:
    pool = FakePool()
    with pytest.raises(ZeroDivisionError):
        await run(pool, work_failing(ZeroDivisionError()))
    assert pool.conns[0].sent[-1] == "ROLLBACK"


async def test_the_transaction_begins_with_its_bounds_and_read_only_mode() -> None:
    limits = tx.Timeouts(statement=2, lock=3)
    seen: list[object] = []

    async def work(conn: Any) -> str:
        seen.append(conn)
        return "done"

    for readonly in (False, True):
        pool = FakePool()
        seen.clear()
        assert await run(pool, work, readonly=readonly, timeouts=limits) == "done"
        assert seen == [pool.conns[0]]
        assert pool.conns[0].sent == [limits.begin_sql(readonly=readonly), "COMMIT"]


async def test_a_failure_handing_back_a_committed_connection_keeps_the_result() -> None:
    pool = FakePool({"RELEASE": ConnectionResetError("reset")})
    assert await run(pool, work_failing()) == "done"
    assert len(pool.conns) == 1  # committed once, not run again


async def test_the_whole_exception_chain_is_searched_for_a_lost_connection() -> None:
    """A loss behind a cycle in the chain is still found, and a cycle ends the walk."""
    looped = asyncpg.InterfaceError("loop")
    looped.__context__ = looped
    wrapped = asyncpg.InterfaceError("wrapper")
    wrapped.__cause__ = ConnectionResetError("reset")
    wrapped.__context__ = looped
    pool = FakePool({"BEGIN": wrapped})
    assert await run(pool, work_failing()) == "done"
    assert len(pool.conns) == 2
    pool = FakePool({"BEGIN": looped})
    with pytest.raises(InternalError, match=r"^unexpected InterfaceError"):
        await run(pool, work_failing())


QUICK = tx.Timeouts(statement=0.05, network=0.05)  # a 0.1 s deadline


@pytest.mark.parametrize("stage", ["BEGIN", "WORK", "COMMIT", "ROLLBACK"])
async def test_no_answer_by_the_deadline_terminates_the_connection_once(stage: str) -> None:
    pool = FakePool()
    pool_take = pool.take

    async def take() -> FakeConn:
        conn = await pool_take()
        conn.hang = frozenset({stage})
        return conn

    pool.take = take  # type: ignore[method-assign]

    async def work(conn: Any) -> str:
        if stage == "WORK":
            await asyncio.sleep(3600)
        if stage == "ROLLBACK":
            raise asyncpg.ForeignKeyViolationError("fk")  # then the ROLLBACK hangs
        return "done"

    began = asyncio.get_running_loop().time()
    expected: type[DomainError] = {"COMMIT": OutcomeUnknown, "ROLLBACK": NotFound}.get(
        stage, TransientError
    )
    with pytest.raises(expected) as exc:
        await asyncio.wait_for(run(pool, work, timeouts=QUICK), 5)  # a hang fails
    assert asyncio.get_running_loop().time() - began < 1
    assert len(pool.conns) == 1 and pool.conns[0].closed  # terminated, and not retried
    if stage in ("BEGIN", "WORK"):
        assert exc.value.message == "no answer from the database in time; nothing was saved"
    if stage == "COMMIT":
        assert "no answer from the database to COMMIT in time" in exc.value.message
        second = FakePool()
        second_take = second.take

        async def hanging() -> FakeConn:
            conn = await second_take()
            conn.hang = frozenset({stage})
            return conn

        second.take = hanging  # type: ignore[method-assign]
        read = run(second, work, readonly=True, timeouts=QUICK)
        assert await asyncio.wait_for(read, 5) == "done"  # what was read stands


async def test_a_cancelled_call_terminates_its_connection_at_once() -> None:
    pool = FakePool()

    async def work(conn: Any) -> str:
        await asyncio.sleep(3600)
        return "never"

    task = asyncio.ensure_future(run(pool, work))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 5)
    assert pool.conns[0].closed and "ROLLBACK" not in pool.conns[0].sent


def test_without_a_statement_bound_there_is_no_deadline() -> None:
    assert tx.Timeouts(statement=2, network=3).deadline == 5
    off = tx.Timeouts(statement=0)
    assert off.deadline is None
    assert "idle_in_transaction_session_timeout" not in off.begin_sql(readonly=False)
    huge = tx.Timeouts(statement=tx.Timeouts.MAX_SECONDS).begin_sql(readonly=False)
    assert "idle_in_transaction_session_timeout = 2147483647;" in huge


_SERVER_RANGE = f"from 0 (no bound), at most {tx.Timeouts.MAX_SECONDS} (PostgreSQL's limit)"


@pytest.mark.parametrize(
    ("name", "bad", "range_"),
    [
        ("acquire", 0, "above 0"),
        ("network", 0, "above 0"),
        ("statement", -1, _SERVER_RANGE),
        ("lock", -0.5, _SERVER_RANGE),
    ],
)
def test_a_refused_bound_says_which_values_it_takes(name: str, bad: float, range_: str) -> None:
    bound: dict[str, Any] = {name: bad}
    with pytest.raises(ValueError) as exc:
        tx.Timeouts(**bound)
    said = f"Timeouts.{name} must be a finite number of seconds {range_}, not {bad!r}"
    assert str(exc.value) == said
