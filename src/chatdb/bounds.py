"""What bounds one unit of work: how often it is tried (`RetryPolicy`) and how long each
part of it may take (`Timeouts`). `chatdb.tx` runs transactions under them.

Every transaction is bounded: waiting for a pooled connection (`Timeouts.acquire`), each
statement and each lock wait (PostgreSQL's statement_timeout / lock_timeout: `SET LOCAL`
sent with BEGIN in the same round trip, so they also hold behind PgBouncer in
transaction mode; for a statement that is a transaction of its own, the same values kept
as session settings on the connection, which the statement checks before it writes).
"""

from __future__ import annotations

import asyncio
import functools
import math
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import ClassVar, TypeAlias

__all__ = ["RetryPolicy", "Sleep", "Timeouts"]

Sleep: TypeAlias = Callable[[float], Awaitable[None]]


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
    # On a Citus coordinator: the transaction's SET LOCALs (these bounds, the search's
    # hnsw.iterative_scan) also reach the workers it touches, where its row locks are
    # waited for and its index scans run (citus.propagate_set_commands = 'local', sent
    # with BEGIN). `Database.over` sets it when the server is one.
    to_workers: bool = False
    # The SQL and text of these bounds, made once when they are: sent with every
    # transaction, they are not made again per call.
    _said: _Said = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_bound("acquire", self.acquire, positive=True, top=math.inf)
        _check_bound("statement", self.statement, positive=False, top=self.MAX_SECONDS)
        _check_bound("lock", self.lock, positive=False, top=self.MAX_SECONDS)
        _check_bound("network", self.network, positive=True, top=math.inf)
        begin = functools.partial(
            _begin_sql, self.statement, self.lock, self.deadline, to_workers=self.to_workers
        )
        said = _Said(
            begin=begin(readonly=False),
            begin_readonly=begin(readonly=True),
            session=_session_settings(self.statement, self.lock),
            shown=_shown_bounds(self.statement, self.lock),
        )
        object.__setattr__(self, "_said", said)

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
        return self._said.begin_readonly if readonly else self._said.begin

    def session_settings(self) -> str:
        """The statement and lock bounds as session settings, for a statement that is a
        transaction of its own (`run_statement`; kept by `Connection.keep_settings`)."""
        return self._said.session

    def shown(self) -> tuple[str, str]:
        """statement_timeout and lock_timeout as PostgreSQL's SHOW prints them (a
        statement compares them with `current_setting` before it writes)."""
        return self._said.shown


@dataclass(frozen=True)
class _Said:
    """What `Timeouts` sends and compares, made once per value."""

    begin: str
    begin_readonly: str
    session: str
    shown: tuple[str, str]


def _begin_sql(
    statement: float, lock: float, idle: float | None, *, readonly: bool, to_workers: bool
) -> str:
    mode = " READ ONLY" if readonly else ""
    propagate = "SET LOCAL citus.propagate_set_commands = 'local';" if to_workers else ""
    abandoned = (
        ""
        if idle is None
        else "SET LOCAL idle_in_transaction_session_timeout = "
        f"{_milliseconds(min(idle, Timeouts.MAX_SECONDS))};"
    )
    return (
        f"BEGIN ISOLATION LEVEL READ COMMITTED{mode};{propagate}{abandoned}"
        f"SET LOCAL statement_timeout = {_milliseconds(statement)};"
        f"SET LOCAL lock_timeout = {_milliseconds(lock)}"
    )


def _session_settings(statement: float, lock: float) -> str:
    return (
        f"SET statement_timeout = {_milliseconds(statement)};"
        f"SET lock_timeout = {_milliseconds(lock)}"
    )


def _shown_bounds(statement: float, lock: float) -> tuple[str, str]:
    return _shown(_milliseconds(statement)), _shown(_milliseconds(lock))


# PostgreSQL prints a duration in the largest unit that divides it evenly.
_UNITS = (("d", 86_400_000), ("h", 3_600_000), ("min", 60_000), ("s", 1000), ("ms", 1))


def _shown(milliseconds: int) -> str:
    if milliseconds == 0:
        return "0"
    unit, size = next((u, n) for u, n in _UNITS if milliseconds % n == 0)
    return f"{milliseconds // size}{unit}"


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
