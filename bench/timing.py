"""Interleaved timing: every contender runs in every round, in rotating order.

Drift (CPU frequency, autovacuum, the page cache, another process on a 2-core machine)
then hits all contenders alike instead of whichever happened to run last, and the median
over rounds discards the rounds an outlier landed in.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

Op = Callable[[], Awaitable[object]]
"""One call of the operation under test; a contender's whole per-call work."""


@dataclass(frozen=True)
class Stats:
    """Per-call time over the rounds, in microseconds."""

    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def iqr_pct(self) -> float:
        """Interquartile range as a percentage of the median: the run's noise."""
        if len(self.samples) < 4:
            return 0.0
        q1, _, q3 = statistics.quantiles(self.samples, n=4)
        return 100.0 * (q3 - q1) / self.median


def paired_ratios(a: Stats, b: Stats) -> list[float]:
    """a ÷ b round by round: both ran back to back in each round, so slow drift cancels."""
    return [x / y for x, y in zip(a.samples, b.samples, strict=True)]


def ratio(a: Stats, b: Stats) -> float:
    """The median of the per-round ratios a ÷ b (the figure every table reports)."""
    return statistics.median(paired_ratios(a, b))


def ratio_iqr(a: Stats, b: Stats) -> tuple[float, float]:
    """First and third quartile of the per-round ratios a ÷ b."""
    r = paired_ratios(a, b)
    if len(r) < 4:
        return min(r), max(r)
    q1, _, q3 = statistics.quantiles(r, n=4)
    return q1, q3


async def interleaved(
    contenders: Mapping[str, Op],
    *,
    rounds: int,
    batch: int,
    warmup: int,
) -> dict[str, Stats]:
    """Time each contender: `rounds` rounds of `batch` back-to-back calls, A/B/C/... order
    rotated every round; returns the per-call time of each batch."""
    names = list(contenders)
    for name in names:
        op = contenders[name]
        for _ in range(warmup):
            await op()
    samples: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            op = contenders[name]
            gc.collect()
            start = time.perf_counter_ns()
            for _ in range(batch):
                await op()
            elapsed = time.perf_counter_ns() - start
            samples[name].append(elapsed / batch / 1000.0)
    return {name: Stats(tuple(s)) for name, s in samples.items()}
