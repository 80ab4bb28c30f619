"""Running one unit of work in one transaction, with the retry policy around it.

Why a module of its own: every service operation needs the same answer to "what if the
transaction fails?" — retry in place when PostgreSQL rolled it back for a race it tells us
about (serialization failure, deadlock), retry in place when the connection turned out to
be dead before the work began (a server restart leaves a pool full of those), report a
typed retryable error when the connection was lost while the work ran (the transaction is
rolled back whole, or — if the connection died during COMMIT — its outcome is unknown;
the caller retries with the same idempotency key), and never let a driver exception
escape.
"""

from __future__ import annotations

import asyncio
import enum
import random
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeAlias, TypeVar

import asyncpg
from asyncpg.exceptions import _base as asyncpg_base

from chatdb.errors import (
    DomainError,
    InternalError,
    InvalidInput,
    NotFound,
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
    asyncpg.TooManyConnectionsError,  # 53300
    # The driver lost track of the protocol (a FATAL that arrived between statements:
    # "cannot switch to state ...; another operation is in progress") or its statement
    # cache went stale; the connection is discarded when it goes back to the pool.
    asyncpg_base.InternalClientError,
    ConnectionError,
    OSError,
    asyncio.TimeoutError,
)
# Everything the driver raises; anything else is a bug in the caller's code and propagates.
_DRIVER_ERRORS: tuple[type[Exception], ...] = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg_base.InternalClientError,
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


class _Failure(enum.Enum):
    RACE = "race"
    CONNECTION_LOST = "connection lost"
    OTHER = "other"


class _Stage(enum.Enum):
    CONNECT = "acquiring a connection"
    BEGIN = "starting the transaction"
    WORK = "running the transaction"
    COMMITTED = "committed"


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
) -> T:
    """Run `work` in one transaction, mapping every failure to a DomainError.

    Retried in place (bounded by `policy.attempts`, with jittered sleeps): serialization
    failures and deadlocks, and a lost connection before `work` started (the pool's
    connections are expired first so the next try gets a fresh one). A connection lost while
    `work` ran is a TransientError for the caller to retry: the transaction did not
    commit, or the connection died during COMMIT and nobody can know whether it did.
    """
    attempt = 0
    while True:
        attempt += 1
        stage = _Stage.CONNECT
        closed = False
        try:
            async with pool.acquire() as conn:
                try:
                    stage = _Stage.BEGIN
                    async with conn.transaction(readonly=readonly):
                        stage = _Stage.WORK
                        result = await work(conn)
                    stage = _Stage.COMMITTED
                except BaseException:
                    closed = _connection_closed(conn)
                    raise
            return result
        except DomainError:
            raise
        except _DRIVER_ERRORS as exc:
            if stage is _Stage.COMMITTED:
                # Only handing the connection back failed (the pool has dropped it).
                return result
            failure = _classify(exc, closed)
            if failure is _Failure.CONNECTION_LOST:
                if stage is _Stage.WORK:
                    raise TransientError() from exc
                # A pooled connection was dead before it was used: after a restart they
                # all are. Have the pool replace every connection it holds.
                await _expire(pool)
                if attempt >= policy.attempts:
                    raise TransientError(
                        f"database unavailable after {attempt} attempts ({stage.value})"
                    ) from exc
            elif failure is _Failure.RACE:
                if attempt >= policy.attempts:
                    raise TransientError(
                        f"gave up after {attempt} attempts: {type(exc).__name__}"
                    ) from exc
            else:
                raise _domain_error(exc) from exc
            await policy.sleep(policy.delay(attempt))


async def _expire(pool: asyncpg.Pool[Any]) -> None:
    """Make the pool replace its connections: after a restart every idle one is dead."""
    await pool.expire_connections()


def _classify(exc: BaseException, closed: bool) -> _Failure:
    if isinstance(exc, _RETRY_IN_PLACE):
        return _Failure.RACE
    if closed or any(isinstance(e, _CONNECTION_LOST) for e in _chain(exc)):
        return _Failure.CONNECTION_LOST
    return _Failure.OTHER


def _domain_error(exc: BaseException) -> DomainError:
    """The typed error for a failure that is neither a race nor a lost connection."""
    if isinstance(exc, _CANCELLED):
        return TransientError(f"the statement was cancelled: {type(exc).__name__}")
    if isinstance(exc, asyncpg.ForeignKeyViolationError):
        return NotFound()
    if isinstance(exc, asyncpg.DataError | asyncpg_base.DataError):
        # Class 22 from the server, or an argument the driver could not encode: the
        # statements are fixed, so only the data passed in can have caused it.
        return InvalidInput("A value is not acceptable to the database.")
    if isinstance(exc, asyncpg.PostgresError):
        return InternalError(f"database error {exc.sqlstate}")
    return InternalError(f"unexpected {type(exc).__name__} from the database driver")
