"""Running one unit of work in one transaction, with the retry policy around it.

Why a module of its own: every service operation needs the same answer to "what if the
transaction fails?" — retry in place when PostgreSQL rolled it back for a race it tells us
about (serialization failure, deadlock), report a typed retryable error when the
connection was lost (the transaction is rolled back whole; the caller may retry), and
never let a driver exception escape.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeAlias, TypeVar

import asyncpg

from chatdb.errors import DomainError, InternalError, NotFound, TransientError

T = TypeVar("T")
Conn: TypeAlias = "asyncpg.pool.PoolConnectionProxy[Any]"

# Failures after which the transaction is known to have been rolled back whole.
_RETRY_IN_PLACE = (asyncpg.SerializationError, asyncpg.DeadlockDetectedError)
_CONNECTION_LOST = (
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.AdminShutdownError,
    asyncpg.CannotConnectNowError,
    asyncpg.ConnectionFailureError,
    asyncpg.InterfaceError,
    ConnectionError,
    OSError,
    asyncio.TimeoutError,
)


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with full jitter for serialization failures and deadlocks."""

    attempts: int = 5
    base_delay: float = 0.005
    max_delay: float = 0.25
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def delay(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(max, base * 2**attempt)] (attempt counts from 1)."""
        return self.rng.uniform(0.0, min(self.max_delay, self.base_delay * 2**attempt))


async def run_in_transaction(
    pool: asyncpg.Pool[Any],
    work: Callable[[Conn], Awaitable[T]],
    policy: RetryPolicy,
    *,
    readonly: bool = False,
) -> T:
    """Run `work` in one transaction; retry whole on serialization failure/deadlock."""
    attempt = 0
    while True:
        attempt += 1
        try:
            async with pool.acquire() as conn, conn.transaction(readonly=readonly):
                return await work(conn)
        except DomainError:
            raise
        except _RETRY_IN_PLACE as exc:
            if attempt >= policy.attempts:
                raise TransientError(
                    f"gave up after {attempt} attempts: {type(exc).__name__}"
                ) from exc
            await asyncio.sleep(policy.delay(attempt))
        except asyncpg.ForeignKeyViolationError as exc:
            raise NotFound() from exc
        except _CONNECTION_LOST as exc:
            raise TransientError() from exc
        except asyncpg.PostgresError as exc:
            raise InternalError(f"database error {exc.sqlstate}") from exc
