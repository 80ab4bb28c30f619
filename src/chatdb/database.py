"""The database the services run over: one value, shared by `ChatService` and `AdminService`.

The application builds one `Database` (its pool, an optional replica pool, the retry
policy, the timeouts and the transaction runner) and hands it to the services it means to
offer: whoever holds only a `ChatService` cannot reach the admin operations. What both
services need (a transaction on the primary, a read that may go to the replica, the id a
create chooses) lives here as plain methods, not in a base class.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, cast

import asyncpg

from chatdb import validate as v
from chatdb.errors import OutcomeUnknown
from chatdb.tx import Conn, RetryPolicy, Timeouts, run_in_transaction, run_statement

T = TypeVar("T")

__all__ = ["Database", "Runner", "choose_id"]

# Is the server a Citus coordinator, and what are its own statement and lock bounds?
_SERVER = (
    "SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus'),"
    " current_setting('statement_timeout'), current_setting('lock_timeout')"
)


class Runner(Protocol):
    """Runs `work` in one transaction on `pool` (the signature of `tx.run_in_transaction`)."""

    def __call__(
        self,
        pool: asyncpg.Pool[Any],
        work: Callable[[Conn], Awaitable[T]],
        policy: RetryPolicy,
        *,
        readonly: bool = ...,
        timeouts: Timeouts | None = ...,
    ) -> Awaitable[T]: ...


@dataclass(frozen=True)
class Database:
    """The primary pool and how transactions run on it.

    Read-only operations that may read slightly stale data go to `replica` when given (a
    pool on a streaming replica); everything else, and `fresh=True`, to `pool`.
    """

    pool: asyncpg.Pool[Any]
    replica: asyncpg.Pool[Any] | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeouts: Timeouts = field(default_factory=Timeouts)
    run: Runner = run_in_transaction
    # A write that is one statement (a send: SendMessage) runs as one; False: every write
    # takes its transactional path. False on a Citus coordinator: there Citus plans such a
    # statement (data-modifying CTEs beside reads of reference tables) recursively, ships
    # its intermediate results to every worker and commits on all of them by two-phase
    # commit, while the transactional path stays on the account's worker (`Database.over`).
    statement_writes: bool = True
    # The server's own defaults are `timeouts`' statement and lock bounds (ALTER ROLE or
    # ALTER DATABASE … SET; not a pooler's connect_query, which a session reset's RESET
    # ALL undoes): behind a transaction-mode pooler, where a client's session settings
    # do not last, a one-statement write then runs bare (2 round trips: Parse, then Bind
    # and Execute) instead of in a transaction (4). The statement checks its bounds
    # itself whatever this says.
    server_bounds: bool = False

    @classmethod
    async def over(cls, pool: asyncpg.Pool[Any], **options: Any) -> Database:
        """A `Database` over `pool` with the write path that suits its server, found out
        by one query: a Citus coordinator (`statement_writes` off, and the transactions'
        SET LOCALs sent on to the workers: `Timeouts.to_workers`), and whether the
        server's own defaults are the bounds (`server_bounds`)."""
        row = cast(asyncpg.Record, await pool.fetchrow(_SERVER))  # no FROM: one row
        citus, statement, lock = bool(row[0]), row[1], row[2]
        timeouts = dataclasses.replace(options.pop("timeouts", Timeouts()), to_workers=citus)
        bounds = (statement, lock) == timeouts.shown()
        return cls(
            pool, statement_writes=not citus, server_bounds=bounds, timeouts=timeouts, **options
        )

    async def transaction(
        self,
        work: Callable[[Conn], Awaitable[T]],
        *,
        readonly: bool = False,
        created_id: uuid.UUID | None = None,
    ) -> T:
        """A transaction on the primary. `created_id`: the id a create chose; an
        OutcomeUnknown carries it, so the caller can repeat the create with it."""
        try:
            return await self.run(
                self.pool, work, self.retry, readonly=readonly, timeouts=self.timeouts
            )
        except OutcomeUnknown as exc:
            if created_id is None:
                raise
            raise OutcomeUnknown(created_id=created_id) from exc

    def write_statement(self, work: Callable[[Conn], Awaitable[T | None]]) -> Awaitable[T | None]:
        """One idempotent write statement on the primary that is a transaction of its own:
        one round trip (`tx.run_statement`); a lost answer is repeated in place. None
        without running it when `statement_writes` is off (the caller's transactional
        path then does the write)."""
        if not self.statement_writes:
            return _nothing()
        return run_statement(
            self.pool, work, self.retry, timeouts=self.timeouts, bare=self.server_bounds
        )

    def read(self, work: Callable[[Conn], Awaitable[T]], *, fresh: bool) -> Awaitable[T]:
        """A read-only transaction on the replica if there is one and `fresh` is False
        (the result may lag the primary by the replication delay), else on the primary."""
        pool = self.pool if fresh or self.replica is None else self.replica
        return self.run(pool, work, self.retry, readonly=True, timeouts=self.timeouts)


async def _nothing() -> None:
    """What `write_statement` returns when it writes nothing."""


def choose_id(value: object, name: str) -> uuid.UUID:
    """The id a create uses: the client's (checked), or a fresh one."""
    return v.opt_uuid(value, name) or uuid.uuid4()
