"""Running one unit of work in one transaction, with the retry policy around it.

Why a module of its own: every service operation needs the same answer to "what if the
transaction fails?" — retry in place when PostgreSQL rolled it back for a race it tells us
about (serialization failure, deadlock), retry in place when the connection turned out to
be dead before the work began (a server restart leaves a pool full of those), back off
while the server refuses new connections (its connection limit) without touching the
working ones, report TransientError when the connection was lost while the work ran (the
transaction is rolled back whole), OutcomeUnknown when it was lost during COMMIT (nobody
can know whether it committed; the caller retries with the same ids), and never let a
driver exception escape. This is the only module that catches driver exceptions.

Every transaction is bounded: waiting for a pooled connection (`Timeouts.acquire`), each
statement and each lock wait (`SET LOCAL statement_timeout` / `lock_timeout`, sent with
BEGIN in the same round trip, so they also hold behind PgBouncer in transaction mode).
An expired bound is a TransientError: the transaction was rolled back.

What the server measures cannot bound a network that goes silent (no RST, no FIN: a
NAT or load balancer dropping the flow, a frozen proxy or VM) or a pooler queueing the
transaction: the client also gives each transaction, BEGIN to COMMIT, a deadline of its
own (`Timeouts.deadline`: `statement + network`). When it passes, the connection is
terminated, not awaited (a ROLLBACK or a cancel request would travel the same silent
path), and the call is a TransientError, or OutcomeUnknown if COMMIT was in flight; it
is not retried in place. A ROLLBACK after another failure, and a caller's cancellation,
never wait longer than `network` either.
"""

from __future__ import annotations

import asyncio
import enum
import math
import random
import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeAlias, TypeVar

import asyncpg

from chatdb.errors import (
    DomainError,
    InternalError,
    InvalidInput,
    NotFound,
    OutcomeUnknown,
    TransientError,
)

T = TypeVar("T")
Conn: TypeAlias = "asyncpg.pool.PoolConnectionProxy[Any]"
Sleep: TypeAlias = Callable[[float], Awaitable[None]]

# PostgreSQL rolled the transaction back because of a race; running it again is safe.
_RETRY_IN_PLACE: tuple[type[BaseException], ...] = (
    asyncpg.SerializationError,  # 40001
    asyncpg.DeadlockDetectedError,  # 40P01
)
# The connection (or the server) went away: class 08, shutdowns, refused/reset sockets.
_CONNECTION_LOST: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,  # 08xxx, incl. ConnectionDoesNotExistError
    asyncpg.AdminShutdownError,  # 57P01: pg_terminate_backend, fast/smart shutdown
    asyncpg.CrashShutdownError,  # 57P02: another backend crashed, all were reset
    asyncpg.CannotConnectNowError,  # 57P03: starting up / shutting down
    # The driver lost track of the protocol (a FATAL that arrived between statements:
    # "cannot switch to state ...; another operation is in progress") or its statement
    # cache went stale; the connection is discarded when it goes back to the pool.
    asyncpg.exceptions.InternalClientError,
    ConnectionError,
    OSError,
    asyncio.TimeoutError,
)
# Citus: a worker went away while the coordinator committed on it (XX000): whether it
# committed is not known, like a connection lost during COMMIT.
_NODE_LOST = re.compile(r"could not commit transaction for shard \d+ on at least one active node")
# Everything the driver raises; anything else is a bug in the caller's code and propagates.
_DRIVER_ERRORS: tuple[type[Exception], ...] = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,
    OSError,
    asyncio.TimeoutError,
)
# The statement was cancelled (statement_timeout, lock_timeout, pg_cancel_backend): the
# transaction is rolled back whole and may be retried by the caller.
_CANCELLED: tuple[type[BaseException], ...] = (
    asyncpg.QueryCanceledError,  # 57014
    asyncpg.LockNotAvailableError,  # 55P03
)


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with full jitter.

    `attempts` bounds the total number of tries of one operation (first try included);
    the sleep before try n+1 is uniform in [0, min(max_delay, base_delay * 2**n)].
    `sleep` is injectable so tests can observe the delays without waiting for them.
    """

    attempts: int = 5
    base_delay: float = 0.005
    max_delay: float = 0.25
    rng: random.Random = field(default_factory=random.Random, compare=False)
    sleep: Sleep = field(default=asyncio.sleep, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("RetryPolicy.attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("RetryPolicy delays must not be negative")

    def delay(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(max, base * 2**attempt)] (attempt counts from 1)."""
        return self.rng.uniform(0.0, min(self.max_delay, self.base_delay * 2**attempt))


@dataclass(frozen=True)
class Timeouts:
    """Bounds, in seconds, on one transaction; expiry is a retryable TransientError.

    `acquire`: waiting for a pooled connection, including backing off while the server
    refuses new ones. `statement` and `lock`: PostgreSQL's statement_timeout and
    lock_timeout, set per transaction (0 turns one off, as in PostgreSQL; a positive
    bound is at least 1 ms, never rounded to 0). Checked when made: a bound that is not
    a finite number, or beyond what PostgreSQL takes, is a ValueError naming it.
    """

    MAX_SECONDS: ClassVar[float] = 2_147_483.647  # PostgreSQL's limit: INT_MAX ms

    acquire: float = 10.0
    statement: float = 30.0
    lock: float = 5.0
    # How long the client waits for an answer beyond what the server bounds itself.
    network: float = 5.0

    def __post_init__(self) -> None:
        _check_bound("acquire", self.acquire, positive=True, top=math.inf)
        _check_bound("statement", self.statement, positive=False, top=self.MAX_SECONDS)
        _check_bound("lock", self.lock, positive=False, top=self.MAX_SECONDS)
        _check_bound("network", self.network, positive=True, top=math.inf)

    @property
    def deadline(self) -> float | None:
        """The client's own bound on one transaction, BEGIN to COMMIT: `statement` (the
        server cancels a statement then) plus `network`; None when `statement` is 0
        (statements unbounded on purpose: then only the operating system's TCP settings
        end a wait on a silent network)."""
        return self.statement + self.network if self.statement > 0 else None

    def begin_sql(self, *, readonly: bool) -> str:
        """BEGIN and the per-transaction bounds, one round trip (simple query protocol).

        With a deadline the server also ends the transaction when it sits idle longer
        than that: a client that gave up on a silent network cannot tell the server, and
        its transaction's locks must not outlive it."""
        mode = " READ ONLY" if readonly else ""
        idle = self.deadline
        abandoned = (
            ""
            if idle is None
            else "SET LOCAL idle_in_transaction_session_timeout = "
            f"{_milliseconds(min(idle, self.MAX_SECONDS))};"
        )
        return (
            f"BEGIN ISOLATION LEVEL READ COMMITTED{mode};{abandoned}"
            f"SET LOCAL statement_timeout = {_milliseconds(self.statement)};"
            f"SET LOCAL lock_timeout = {_milliseconds(self.lock)}"
        )


def _check_bound(name: str, value: object, *, positive: bool, top: float) -> None:
    ok = (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and (value > 0 if positive else value >= 0)
        and value <= top
    )
    if not ok:
        low = "above 0" if positive else "from 0 (no bound)"
        high = "" if top == math.inf else f", at most {top} (PostgreSQL's limit)"
        raise ValueError(f"Timeouts.{name} must be a finite number of seconds {low}{high}, "
                         f"not {value!r}")  # fmt: skip


def _milliseconds(seconds: float) -> int:
    """A bound in PostgreSQL's milliseconds: 0 stays 0 (off), a positive one is >= 1."""
    return max(1, round(seconds * 1000)) if seconds > 0 else 0


class _Failure(enum.Enum):
    RACE = "race"
    TOO_MANY_CONNECTIONS = "too many connections"
    CONNECTION_LOST = "connection lost"
    OTHER = "other"


class _Stage(enum.Enum):
    CONNECT = "acquiring a connection"
    BEGIN = "starting the transaction"
    WORK = "running the transaction"
    COMMIT = "committing"
    COMMITTED = "committed"


class _Next(enum.Enum):
    RETRY = "retry"
    RETURN = "return the result"


@dataclass
class _Attempt:
    """How far one try got; mutable, filled in as it runs."""

    stage: _Stage = _Stage.CONNECT
    closed: bool = False
    expired: bool = False  # the client's deadline passed; the connection was terminated
    result: Any = None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it was raised from or during, without cycles."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        e = todo.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        todo += [x for x in (e.__cause__, e.__context__) if x is not None]


def _connection_closed(conn: Conn) -> bool:
    """True if the pooled connection is dead (asyncpg detaches the proxy when it dies)."""
    try:
        return conn.is_closed()
    except asyncpg.InterfaceError:
        return True


async def run_in_transaction(
    pool: asyncpg.Pool[Any],
    work: Callable[[Conn], Awaitable[T]],
    policy: RetryPolicy,
    *,
    readonly: bool = False,
    timeouts: Timeouts | None = None,
) -> T:
    """Run `work` in one transaction, mapping every failure to a DomainError.

    Retried in place (bounded by `policy.attempts`, with jittered sleeps): serialization
    failures and deadlocks, and a connection found dead before `work` started. While the
    server refuses connections (too many), backed off until `timeouts.acquire` is spent.
    A connection lost while `work` ran is a TransientError (nothing committed); lost
    during COMMIT, an OutcomeUnknown — except for a read-only transaction, whose result
    stands whatever became of its COMMIT.
    """
    limits = timeouts or Timeouts()
    begin = limits.begin_sql(readonly=readonly)
    deadline = asyncio.get_running_loop().time() + limits.acquire
    attempt = 0
    while True:
        attempt += 1
        run = _Attempt()
        try:
            return await _try_once(pool, work, begin, limits, run)
        except DomainError:
            raise
        except _DRIVER_ERRORS as exc:
            if _next_step(exc, run, attempt, policy, readonly, deadline) is _Next.RETURN:
                return run.result  # type: ignore[no-any-return]
        await policy.sleep(policy.delay(min(attempt, 30)))


async def _try_once(
    pool: asyncpg.Pool[Any],
    work: Callable[[Conn], Awaitable[T]],
    begin: str,
    limits: Timeouts,
    run: _Attempt,
) -> T:
    async with pool.acquire(timeout=limits.acquire) as conn:
        scope = asyncio.timeout(limits.deadline)
        try:
            async with scope:
                run.stage = _Stage.BEGIN
                await conn.execute(begin)
                run.stage = _Stage.WORK
                run.result = result = await work(conn)
                run.stage = _Stage.COMMIT
                await _commit(conn)
        except BaseException as exc:
            run.expired = scope.expired()
            if run.expired or isinstance(exc, asyncio.CancelledError):
                conn.terminate()  # awaiting anything more may wait for the silent network
            run.closed = _connection_closed(conn)
            if not run.closed:
                await _rollback(conn, limits.network)
            raise
        run.stage = _Stage.COMMITTED
    return result


async def _commit(conn: Conn) -> None:
    """COMMIT; on a `runtime.Connection`, with the session reset in the same round trip
    (the pool then skips its own reset: one round trip less per transaction)."""
    commit_and_reset = getattr(conn, "commit_and_reset", None)
    await (commit_and_reset() if commit_and_reset is not None else conn.execute("COMMIT"))


async def _rollback(conn: Conn, within: float) -> None:
    """End a failed transaction; if even that fails, the pool resets or drops the
    connection when it is released. No answer `within` seconds: the connection is
    terminated instead (the network may be what failed)."""
    try:
        async with asyncio.timeout(within):
            await conn.execute("ROLLBACK")
    except TimeoutError:
        conn.terminate()
    except _DRIVER_ERRORS:
        pass


def _next_step(
    exc: BaseException,
    run: _Attempt,
    attempt: int,
    policy: RetryPolicy,
    readonly: bool,
    deadline: float,
) -> _Next:
    """Retry, return the result, or raise the DomainError this failure means."""
    if run.stage is _Stage.COMMITTED:
        return _Next.RETURN  # only handing the connection back failed (the pool dropped it)
    if run.expired:
        return _expired(run, readonly, exc)
    failure = _classify(exc, run.closed)
    if run.stage is _Stage.CONNECT and isinstance(exc, asyncio.TimeoutError):
        raise TransientError("no database connection became free in time") from exc
    if failure is _Failure.TOO_MANY_CONNECTIONS:
        if asyncio.get_running_loop().time() >= deadline:
            raise TransientError("the database refuses new connections (too many)") from exc
        return _Next.RETRY  # the connections the pool has keep working meanwhile
    if failure is _Failure.CONNECTION_LOST:
        if run.stage is _Stage.COMMIT:
            if readonly:
                return _Next.RETURN  # nothing to commit: what was read stands
            raise OutcomeUnknown() from exc
        if run.stage is _Stage.WORK:
            raise TransientError() from exc
        if attempt >= policy.attempts:
            raise TransientError(
                f"database unavailable after {attempt} attempts ({run.stage.value})"
            ) from exc
        return _Next.RETRY
    if failure is _Failure.RACE:
        if attempt >= policy.attempts:
            raise TransientError(f"gave up after {attempt} attempts: {type(exc).__name__}") from exc
        return _Next.RETRY
    raise _domain_error(exc) from exc


def _expired(run: _Attempt, readonly: bool, exc: BaseException) -> _Next:
    """The client's deadline passed: the connection was abandoned, never retried in place
    (each try would wait as long again)."""
    if run.stage is not _Stage.COMMIT:
        raise TransientError("no answer from the database in time; nothing was saved") from exc
    if readonly:
        return _Next.RETURN  # nothing to commit: what was read stands
    raise OutcomeUnknown("no answer from the database to COMMIT in time; the change may "
                         "or may not have been saved. Retry the request.") from exc  # fmt: skip


def _classify(exc: BaseException, closed: bool) -> _Failure:
    if isinstance(exc, _RETRY_IN_PLACE):
        return _Failure.RACE
    if isinstance(exc, asyncpg.TooManyConnectionsError):  # 53300, at connect
        return _Failure.TOO_MANY_CONNECTIONS
    if closed or any(isinstance(e, _CONNECTION_LOST) for e in _chain(exc)):
        return _Failure.CONNECTION_LOST
    if isinstance(exc, asyncpg.PostgresError) and _NODE_LOST.match(str(exc)):
        return _Failure.CONNECTION_LOST
    return _Failure.OTHER


def _client_data_error(exc: BaseException) -> bool:
    """An argument asyncpg could not encode: its client-side DataError, public only as an
    InterfaceError that is also a ValueError."""
    return isinstance(exc, asyncpg.InterfaceError) and isinstance(exc, ValueError)


def _domain_error(exc: BaseException) -> DomainError:
    """The typed error for a failure that is neither a race nor a lost connection."""
    if isinstance(exc, _CANCELLED):
        return TransientError(f"the statement was cancelled: {type(exc).__name__}")
    if isinstance(exc, asyncpg.ForeignKeyViolationError):
        return NotFound()
    if isinstance(exc, asyncpg.DataError) or _client_data_error(exc):
        # Class 22 from the server, or an argument the driver could not encode: the
        # statements are fixed, so only the data passed in can have caused it.
        return InvalidInput("A value is not acceptable to the database.")
    if isinstance(exc, asyncpg.PostgresError):
        return InternalError(f"database error {exc.sqlstate}")
    return InternalError(f"unexpected {type(exc).__name__} from the database driver")
