"""`chatdb.deadlines.within`: asyncio.timeout's behaviour with one timer per event loop.

The service bounds every operation two or three times (a connection, the transaction's
deadline, a ROLLBACK); these tests hold `within` to what `asyncio.timeout` does, and the
service to arming no timer of its own per operation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from chatdb.deadlines import within
from chatdb.tx import Conn, RetryPolicy, Timeouts, run_in_transaction, run_statement


async def test_a_body_that_outlasts_its_bound_is_a_timeout_error() -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    scope = within(0.05)
    with pytest.raises(TimeoutError), scope:
        await asyncio.sleep(10)
    assert scope.expired()
    assert 0.04 <= loop.time() - started < 1.0


async def test_a_body_in_time_is_left_alone() -> None:
    scope = within(5)
    assert scope.expired() is False
    with scope:
        await asyncio.sleep(0)
    assert not scope.expired()
    with within(None) as unbounded:  # None: no bound at all
        await asyncio.sleep(0.01)
    assert not unbounded.expired()


async def test_a_scope_outside_a_task_is_refused_naming_itself() -> None:
    """A loop callback runs in no task: nothing to cancel when the deadline passes."""
    loop = asyncio.get_running_loop()
    raised: asyncio.Future[BaseException] = loop.create_future()

    def callback() -> None:
        try:
            with within(1):
                pass
        except RuntimeError as exc:
            raised.set_result(exc)

    loop.call_soon(callback)
    assert str(await raised) == "within() must be used inside a task"


async def test_nested_scopes_expire_each_at_its_own_time() -> None:
    """The inner one's TimeoutError is the inner body's; the outer goes on and expires
    later by itself (deadlines added in any order, the earliest first)."""
    outer = within(0.3)
    with pytest.raises(TimeoutError), outer:
        inner = within(0.05)
        with pytest.raises(TimeoutError), inner:
            await asyncio.sleep(10)
        assert inner.expired() and not outer.expired()
        await asyncio.sleep(10)
    assert outer.expired()


async def test_a_callers_cancellation_stays_a_cancellation() -> None:
    """Cancelled from outside, unexpired: CancelledError, not TimeoutError (and the same
    when the caller cancels after the scope expired, as asyncio.timeout counts it)."""
    entered = asyncio.Event()

    async def body() -> None:
        with within(5):
            entered.set()
            await asyncio.sleep(10)

    task = asyncio.create_task(body())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    async def expired_then_cancelled() -> None:
        with within(0.01):
            try:
                await asyncio.sleep(10)
            finally:
                asyncio.current_task().cancel()  # type: ignore[union-attr]
                await asyncio.sleep(0)

    with pytest.raises(asyncio.CancelledError):
        await asyncio.create_task(expired_then_cancelled())


async def test_many_scopes_share_one_timer(monkeypatch: pytest.MonkeyPatch) -> None:
    loop = asyncio.get_running_loop()
    armed = _count_timers(loop, monkeypatch, ours=lambda module: module == "chatdb.deadlines")
    for _ in range(500):
        with within(30):
            await asyncio.sleep(0)
    assert armed() <= 2


async def test_the_runners_arm_no_timer_per_operation(
    pool: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every operation waits for a connection and runs under the client's deadline, both
    bounded: with a timer each, 200 operations armed 400 (the pool's own timers, asyncpg's,
    are not counted)."""
    loop = asyncio.get_running_loop()
    armed = _count_timers(loop, monkeypatch, ours=lambda module: not module.startswith("asyncpg"))

    async def work(conn: Conn) -> object:
        return await conn.fetchval("SELECT 1")

    limits, policy = Timeouts(), RetryPolicy()
    for _ in range(100):
        assert await run_statement(pool, work, policy, timeouts=limits, bare=False) == 1
        assert await run_in_transaction(pool, work, policy, timeouts=limits) == 1
    assert armed() <= 4


def _count_timers(
    loop: asyncio.AbstractEventLoop, monkeypatch: pytest.MonkeyPatch, ours: Callable[[str], bool]
) -> Callable[[], int]:
    """Count the timers armed on `loop` from now on whose callback's module `ours` keeps."""
    count = 0
    call_at = loop.call_at

    def counting(when: float, callback: Callable[..., object], *args: Any, **kw: Any) -> Any:
        nonlocal count
        if ours(getattr(callback, "__module__", "") or ""):
            count += 1
        return call_at(when, callback, *args, **kw)

    monkeypatch.setattr(loop, "call_at", counting)
    return lambda: count
