"""`chatdb.deadlines.within`: asyncio.timeout's behaviour with one timer per event loop.

The service bounds every try of an operation with one scope (the wait for a connection,
then, rescheduled, the transaction's deadline) and a ROLLBACK with another; these tests
hold `within` to what `asyncio.timeout` does, and the service to arming no timer of its
own per operation.
"""

from __future__ import annotations

import asyncio
import contextlib
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


async def test_a_rescheduled_scope_ends_at_its_new_deadline() -> None:
    """Later: the first deadline passes without effect (the timer armed for it finds
    nothing due and re-arms); earlier: it ends at the new one."""
    loop = asyncio.get_running_loop()
    with within(0.05) as later:
        later.reschedule(0.5)
        await asyncio.sleep(0.15)
    assert not later.expired()
    started = loop.time()
    earlier = within(30)
    with pytest.raises(TimeoutError), earlier:
        earlier.reschedule(0.05)
        await asyncio.sleep(10)
    assert earlier.expired()
    assert loop.time() - started < 1.0


async def test_a_scope_rescheduled_to_none_is_unbounded_and_back() -> None:
    with within(0.05) as scope:
        scope.reschedule(None)
        scope.reschedule(None)  # twice: nothing left to take off the watch
        await asyncio.sleep(0.15)
    assert not scope.expired()
    loose = within(None)
    with pytest.raises(TimeoutError), loose:
        loose.reschedule(0.05)  # a scope entered without a deadline gets one
        await asyncio.sleep(10)


async def test_an_expired_scope_stays_expired_when_rescheduled() -> None:
    """Its task's cancellation is on its way: moving the deadline cannot call it back."""
    scope = within(30)
    with pytest.raises(TimeoutError), scope:
        scope.expire()  # what the loop's timer does when the deadline comes
        scope.reschedule(30)
        await asyncio.sleep(0.1)  # the cancellation on its way arrives here
    assert scope.expired()
    swallowed = within(30)
    with swallowed:  # a body that swallows the cancellation is not cancelled again
        swallowed.expire()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(1)
        swallowed.reschedule(0.01)
        await asyncio.sleep(0.1)
    assert swallowed.expired()


async def test_only_an_entered_scope_is_rescheduled() -> None:
    """Before entering or after leaving, a new deadline would cancel a task the scope no
    longer guards."""
    scope = within(5)
    message = "reschedule() needs a scope that is entered and not left"
    with pytest.raises(RuntimeError) as before:
        scope.reschedule(1)
    with scope:
        pass
    with pytest.raises(RuntimeError) as after:
        scope.reschedule(0.01)
    assert str(before.value) == str(after.value) == message
    await asyncio.sleep(0.05)  # no stray cancellation reaches this task


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


async def test_the_wait_for_a_connection_bounds_only_that_wait(pool: Any) -> None:
    """One scope per try: `acquire` bounds the wait for a connection, then the client's
    deadline (`statement` + `network`) bounds the work, however short `acquire` is."""
    limits, policy = Timeouts(acquire=0.05, statement=5, network=1), RetryPolicy()

    async def slow(conn: Conn) -> object:
        return await conn.fetchval("SELECT 1 FROM pg_sleep(0.3)")

    assert await run_statement(pool, slow, policy, timeouts=limits, bare=False) == 1
    assert await run_in_transaction(pool, slow, policy, timeouts=limits) == 1


class _ShiftedLoop(asyncio.SelectorEventLoop):
    """A loop whose clock is not time.monotonic's (as a test harness's or a library's
    may be): deadlines are in its time, since its timers are."""

    def time(self) -> float:
        return super().time() + 1e6


def test_deadlines_follow_the_loops_own_clock() -> None:
    async def main() -> float:
        loop = asyncio.get_running_loop()
        with within(0.3):  # in time: the shifted clock must not make it due at once
            await asyncio.sleep(0.05)
        started = loop.time()
        with pytest.raises(TimeoutError), within(0.05):
            await asyncio.sleep(10)
        return loop.time() - started

    with asyncio.Runner(loop_factory=_ShiftedLoop) as runner:
        waited = runner.run(main())
    assert 0.04 <= waited < 1.0
