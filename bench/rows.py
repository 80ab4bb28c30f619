"""What each row representation costs apart from the fetch: attribute access, building a
row in Python, and converting a fetched Record (the per-row tax `:many` used to pay).

Run: `.venv/bin/python -m bench.rows` (no database; about 20 s). The generated class is the
project's own `Chat` (12 columns); the NamedTuple and frozen slotted dataclass are its
twins with the same fields. Records are built with asyncpg's own test helper, so no
server is needed; a fetched Record is the same object. Median of interleaved rounds.
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from collections.abc import Callable
from itertools import repeat
from operator import attrgetter
from typing import Any, NamedTuple

from asyncpg.protocol.protocol import _create_record  # type: ignore[attr-defined]

from chatdb.db import models, runtime

N = 10_000
ROUNDS = 15
FIELDS = models.Chat._fields
LAST = FIELDS[-1]

AsTuple = NamedTuple("AsTuple", [(f, Any) for f in FIELDS])  # type: ignore[misc]
AsDataclass = dataclasses.make_dataclass(
    "AsDataclass", [(f, Any) for f in FIELDS], frozen=True, slots=True
)


def _cases() -> dict[str, dict[str, Callable[[], object]]]:
    values = [tuple(range(i, i + len(FIELDS))) for i in range(N)]
    mapping = {f: i for i, f in enumerate(FIELDS)}
    records = [_create_record(mapping, v) for v in values]
    generated = [runtime.make_row(models.Chat, v) for v in values]
    tuples = [AsTuple(*v) for v in values]
    classes = [AsDataclass(*v) for v in values]
    get = attrgetter(LAST)
    return {
        f"attribute access (`row.{LAST}`), per access": {
            "generated Row built by `make` (`Chat.Tuple`)": lambda: list(map(get, generated)),
            "NamedTuple": lambda: list(map(get, tuples)),
            "frozen slotted dataclass": lambda: list(map(get, classes)),
            f'plain Record, `r["{LAST}"]`': lambda: [r[LAST] for r in records],
        },
        "building a row in Python from its values, per row": {
            "generated Row, `make_row`/`Chat.make` (`Chat.Tuple`)": lambda: [
                runtime.make_row(models.Chat, v) for v in values
            ],
            "NamedTuple": lambda: [AsTuple(*v) for v in values],
            "frozen slotted dataclass": lambda: [AsDataclass(*v) for v in values],
        },
        "turning a fetched Record into the row type, per row": {
            "generated Row (asyncpg builds `Chat.Record`: `record_class=`)": lambda: records,
            "NamedTuple (`tuple.__new__`, map)": lambda: list(
                map(tuple.__new__, repeat(AsTuple), records)
            ),
            "frozen slotted dataclass": lambda: [AsDataclass(*r) for r in records],
        },
    }


def measure() -> dict[str, dict[str, float]]:
    """Nanoseconds per row (or access), median over interleaved rounds."""
    out: dict[str, dict[str, float]] = {}
    for what, contenders in _cases().items():
        samples: dict[str, list[float]] = {name: [] for name in contenders}
        names = list(contenders)
        for r in range(ROUNDS):
            for name in names[r % len(names) :] + names[: r % len(names)]:
                start = time.perf_counter_ns()
                contenders[name]()
                samples[name].append((time.perf_counter_ns() - start) / N)
        out[what] = {name: statistics.median(s) for name, s in samples.items()}
    return out


def markdown(results: dict[str, dict[str, float]]) -> list[str]:
    lines = ["| what | representation | ns |", "| :--- | :--- | ---: |"]
    for what, by in results.items():
        lines += [f"| {what} | {name} | {ns:,.0f} |" for name, ns in by.items()]
    return lines


if __name__ == "__main__":
    print("\n".join(markdown(measure())))
