"""Where the time goes when a target is missed: pyinstrument, summarised by whose code.

pyinstrument samples Python frames and calls into C. asyncpg's protocol is Cython and has
no frames of its own: parsing a reply runs inside the event loop's socket callback, so it
shows up under "asyncio event loop". A C built-in is charged to the code that called it
(tuple.__new__ in a generated list comprehension is generated code's time); time blocked
in epoll waiting for the server, and the socket system calls, are categories of their own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from pyinstrument import Profiler
from pyinstrument.frame import Frame

CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("chatdb.db (generated code + runtime)", ("/chatdb/db/",)),
    ("chatdb.service + chatdb.tx", ("/chatdb/service", "/chatdb/tx", "/chatdb/errors")),
    ("bench harness", ("/bench/",)),
    ("asyncio event loop (incl. asyncpg protocol callbacks)", ("/asyncio/", "selectors.py")),
    ("asyncpg (Python + Cython protocol calls)", ("/asyncpg/",)),
    ("SQLAlchemy", ("/sqlalchemy/",)),
    ("aiosql", ("/aiosql/",)),
    ("json", ("/json/",)),
)
OURS = ("/chatdb/",)


WAITING = "waiting for the server (epoll/select)"
SOCKET = "socket send/recv syscalls"
OTHER = "other (stdlib, interpreter)"


def category(path: str, function: str = "", caller: str = OTHER) -> str:
    """Whose time a frame is. A C built-in (tuple.__new__, a dict lookup) is charged to
    the code that called it, except the system calls that are a category of their own."""
    if path in ("<built-in>", ""):
        if function.startswith(("epoll.", "select.", "poll.")):
            return WAITING
        if function.startswith("socket."):
            return SOCKET
        return caller
    for name, needles in CATEGORIES:
        if any(n in path for n in needles):
            return name
    return OTHER


@dataclass(frozen=True)
class ProfileSummary:
    name: str
    seconds: float
    shares: dict[str, float]
    """Self time by category, as fractions of the total."""
    ours: list[tuple[str, float]]
    """The hottest functions in src/chatdb by self time, the built-ins they call included
    (fraction of total)."""
    path: Path


def _walk(
    frame: Frame,
    by_cat: dict[str, float],
    ours: dict[str, float],
    caller: str = OTHER,
    our_caller: str | None = None,
) -> None:
    if frame.is_synthetic:  # "[self]" / "[await]": already in the parent's total_self_time
        return
    path = frame.file_path or ""
    cat = category(path, frame.function, caller)
    builtin = path in ("<built-in>", "")
    ours_key = (
        f"{frame.function} ({frame.file_path_short}:{frame.line_no})"
        if any(n in path for n in OURS)
        else (our_caller if builtin and cat == caller else None)
    )
    self_time = frame.total_self_time
    if self_time > 0:
        by_cat[cat] += self_time
        if ours_key:
            ours[ours_key] += self_time
    for child in frame.children:
        _walk(child, by_cat, ours, cat, ours_key)


async def profile(name: str, work: Callable[[], Awaitable[object]], path: Path) -> ProfileSummary:
    """Profile one run of `work`; write pyinstrument's call tree to `path`."""
    profiler = Profiler(interval=0.0005, async_mode="disabled")
    profiler.start()
    await work()
    session = profiler.stop()
    root = session.root_frame()
    by_cat: dict[str, float] = defaultdict(float)
    ours: dict[str, float] = defaultdict(float)
    if root is not None:
        _walk(root, by_cat, ours)
    total = sum(by_cat.values()) or 1.0
    path.write_text(profiler.output_text(unicode=False, color=False, show_all=False))
    return ProfileSummary(
        name=name,
        seconds=session.duration,
        shares={k: v / total for k, v in sorted(by_cat.items(), key=lambda kv: -kv[1])},
        ours=sorted(((k, v / total) for k, v in ours.items()), key=lambda kv: -kv[1])[:6],
        path=path,
    )
