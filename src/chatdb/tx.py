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

Every transaction is bounded (`chatdb.bounds`: `Timeouts`, `RetryPolicy`); an expired
bound is a TransientError: the transaction was rolled back. `run_statement` runs one
idempotent write that is a transaction of its own (no BEGIN, no COMMIT: one round trip),
under the same bounds kept as session settings on the connection.

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
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, Protocol, TypeAlias, TypeVar

import asyncpg

from chatdb.bounds import RetryPolicy, Timeouts
from chatdb.db.runtime import PoolerKeepsNoStatements
from chatdb.deadlines import Scope, within
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
__all__ = ["Conn", "RetryPolicy", "Timeouts", "run_in_transaction", "run_statement"]

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
    WRITE = "writing (a statement that commits itself)"
    COMMITTED = "committed"


class _Next(enum.Enum):
    RETRY = "retry"
    RETURN = "return the result"


class _Attempt:
    """How far one try got; mutable, filled in as it runs (the class holds the values it
    starts with: made per call, it runs no __init__)."""

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


class _Runtime(Protocol):
    """What a connection of the generated `runtime.Connection` class adds: settings kept
    for the session, its reset spared, COMMIT and the reset in one round trip."""

    behind_pooler: bool
    keep_settings: Callable[[str], Awaitable[bool]]
    unchanged_session: Callable[[], None]
    commit_and_reset: Callable[[], Awaitable[None]]


def run_in_transaction(
    pool: asyncpg.Pool[Any],
    work: Callable[[Conn], Awaitable[T]],
    policy: RetryPolicy,
    *,
    readonly: bool = False,
    timeouts: Timeouts | None = None,
) -> Awaitable[T]:
    """Run `work` in one transaction, mapping every failure to a DomainError.

    Retried in place (bounded by `policy.attempts`, with jittered sleeps): serialization
    failures and deadlocks, and a connection found dead before `work` started. While the
    server refuses connections (too many), backed off until `timeouts.acquire` is spent.
    A connection lost while `work` ran is a TransientError (nothing committed); lost
    during COMMIT, an OutcomeUnknown — except for a read-only transaction, whose result
    stands whatever became of its COMMIT.
    """
    return _attempts(pool, work, policy, timeouts or Timeouts(), readonly, False, False)


def run_statement(
    pool: asyncpg.Pool[Any],
    work: Callable[[Conn], Awaitable[T]],
    policy: RetryPolicy,
    *,
    timeouts: Timeouts | None = None,
    bare: bool,
) -> Awaitable[T]:
    """Run `work`, one idempotent write statement that is a transaction of its own: no
    BEGIN, no COMMIT (PostgreSQL commits it when it succeeds), one round trip. Its bounds
    are the same as every transaction's, kept as session settings on the connection
    (`Connection.keep_settings`: a round trip the first time only), and the pool's reset
    is spared. Behind a pooler (or on a connection of another class), where no session
    setting lasts, `work` runs in a transaction as `run_in_transaction` runs it, unless
    `bare`: the server's own defaults are the bounds, and the statement runs as it is
    (behind a pooler, 2 round trips: asyncpg's Parse ends with Flush, so the pooler
    keeps the server connection until Bind and Execute end with Sync).

    Failures map as in `run_in_transaction`, with one difference: a connection lost while
    the statement ran leaves the outcome unknown (it may have committed), and `work` is
    repeated in place, which is safe because it is idempotent and reports what the lost
    one did; OutcomeUnknown when the attempts run out or the client's deadline passed
    (and never TransientError after such a doubt).
    """
    return _attempts(pool, work, policy, timeouts or Timeouts(), False, True, bare)


async def _attempts(
    pool: asyncpg.Pool[Any],
    work: Callable[[Conn], Awaitable[Any]],
    policy: RetryPolicy,
    limits: Timeouts,
    readonly: bool,
    statement: bool,
    bare: bool,
) -> Any:
    """Try `work` (`_once`) until it succeeds or `_next_step` raises the DomainError it
    means. The arguments are passed on as they are, positionally: this runs per call."""
    deadline = time.monotonic() + limits.acquire  # for backing off (too many)
    attempt = 0
    doubt = False  # an earlier try's write may have committed: never say "nothing saved"
    while True:
        attempt += 1
        run = _Attempt()
        try:
            return await _once(pool, work, limits, readonly, statement, bare, run)
        except DomainError:
            raise
        except _DRIVER_ERRORS as exc:
            doubt = doubt or _in_doubt(exc, run)
            try:
                if _next_step(exc, run, attempt, policy, readonly, deadline) is _Next.RETURN:
                    return run.result
            except TransientError:
                if doubt:
                    raise OutcomeUnknown() from exc
                raise
        await policy.sleep(policy.delay(min(attempt, 30)))


def _in_doubt(exc: BaseException, run: _Attempt) -> bool:
    """A statement that commits itself lost its answer (connection or deadline)."""
    lost = run.expired or _classify(exc, run) is _Failure.CONNECTION_LOST
    return run.stage is _Stage.WRITE and lost


async def _once(
    pool: asyncpg.Pool[Any],
    work: Callable[[Conn], Awaitable[Any]],
    limits: Timeouts,
    readonly: bool,
    statement: bool,
    bare: bool,
    run: _Attempt,
) -> Any:
    """One try: a connection (waited for `limits.acquire` at most), then BEGIN, `work`
    and COMMIT, or (`statement`, where the connection allows it) the statement alone,
    before the client's deadline (`limits.deadline`); the connection goes back to the
    pool in any case. One scope bounds both waits: its deadline moves from the one to the
    other once the connection is there (asyncpg's own acquire timeout would wait in a task
    of its own)."""
    scope = Scope(limits.acquire)
    conn: Conn | None = None
    ours = transaction = False
    try:
        with scope:
            conn = await pool.acquire()
            scope.reschedule(limits.deadline)
            # a runtime.Connection (behind a pooler or not), or None: another class
            pooled: bool | None = getattr(conn, "behind_pooler", None)
            ours = pooled is not None
            mine: _Runtime = conn  # type: ignore[assignment]  # used only when `ours`
            run.stage = _Stage.BEGIN  # nothing written yet: a lost connection is retried
            if statement and ours and (bare or not pooled):
                if not pooled:
                    await mine.keep_settings(limits.session_settings())
                run.stage = _Stage.WRITE
                run.result = result = await work(conn)
                mine.unchanged_session()  # statements only: the pool's reset is spared
            else:
                transaction = True
                await conn.execute(limits.begin_sql(readonly=readonly))
                run.stage = _Stage.WORK
                run.result = result = await work(conn)
                run.stage = _Stage.COMMIT
                await (mine.commit_and_reset() if ours else conn.execute("COMMIT"))
        run.stage = _Stage.COMMITTED
    except BaseException as exc:
        if conn is not None and not _abandon(conn, scope, exc, run) and transaction:
            await _rollback(conn, limits.network)
        raise
    finally:
        if conn is not None:
            # Committed on a runtime.Connection: its session is reset already (COMMIT
            # and the reset in one round trip; a statement changes nothing), so the pool
            # runs nothing and there is nothing to bound; else its reset is bounded.
            spared = ours and run.stage is _Stage.COMMITTED
            await pool.release(conn, timeout=None if spared else limits.acquire)
    return result


def _abandon(conn: Conn, scope: Scope, exc: BaseException, run: _Attempt) -> bool:
    """After a failure: terminate the connection if the deadline passed or the caller
    cancelled (awaiting anything more may wait for a silent network). True if the
    connection is closed now."""
    run.expired = scope.expired()
    if run.expired or isinstance(exc, asyncio.CancelledError):
        conn.terminate()
    run.closed = _connection_closed(conn)
    return run.closed


async def _rollback(conn: Conn, seconds: float) -> None:
    """End a failed transaction; if even that fails, the pool resets or drops the
    connection when it is released. No answer in `seconds`: the connection is
    terminated instead (the network may be what failed)."""
    try:
        with within(seconds):
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
    failure = _classify(exc, run)
    if run.stage is _Stage.CONNECT and isinstance(exc, asyncio.TimeoutError):
        raise TransientError("no database connection became free in time") from exc
    if failure is _Failure.TOO_MANY_CONNECTIONS:
        if time.monotonic() >= deadline:
            raise TransientError("the database refuses new connections (too many)") from exc
        return _Next.RETRY  # the connections the pool has keep working meanwhile
    if failure is _Failure.CONNECTION_LOST:
        if run.stage is _Stage.WRITE:
            return _write_lost(exc, attempt, policy)
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


def _write_lost(exc: BaseException, attempt: int, policy: RetryPolicy) -> _Next:
    """The connection was lost while a statement that commits itself ran: whether it
    committed nobody knows (even a terminated backend's last word may follow a commit), so
    the idempotent statement is repeated in place; OutcomeUnknown when attempts run out."""
    if attempt >= policy.attempts:
        raise OutcomeUnknown() from exc
    return _Next.RETRY


def _expired(run: _Attempt, readonly: bool, exc: BaseException) -> _Next:
    """The client's deadline passed: the connection was abandoned, never retried in place
    (each try would wait as long again)."""
    if run.stage not in (_Stage.COMMIT, _Stage.WRITE):
        raise TransientError("no answer from the database in time; nothing was saved") from exc
    if readonly:
        return _Next.RETURN  # nothing to commit: what was read stands
    raise OutcomeUnknown("no answer from the database to COMMIT in time; the change may "
                         "or may not have been saved. Retry the request.") from exc  # fmt: skip


def _classify(exc: BaseException, run: _Attempt) -> _Failure:
    if isinstance(exc, _RETRY_IN_PLACE):
        return _Failure.RACE
    if isinstance(exc, asyncpg.TooManyConnectionsError):  # 53300, at connect
        return _Failure.TOO_MANY_CONNECTIONS
    if run.closed or any(isinstance(e, _CONNECTION_LOST) for e in _chain(exc)):
        return _Failure.CONNECTION_LOST
    if run.stage is _Stage.COMMIT and isinstance(exc, asyncpg.InternalServerError):
        # internal_error (XX000) raised by COMMIT itself (Citus: a worker lost while the
        # coordinator committed on it): whether it committed is not known, as when the
        # connection is lost there
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
    if isinstance(exc, asyncpg.InvalidSQLStatementNameError):
        # 26000: a cached statement missing on the server connection a pooler handed out
        return InternalError(PoolerKeepsNoStatements.MESSAGE)
    if isinstance(exc, asyncpg.PostgresError):
        return InternalError(f"database error {exc.sqlstate}")
    return InternalError(f"unexpected {type(exc).__name__} from the database driver")
