"""The issue's targets, checked against one run's results."""

from __future__ import annotations

from dataclasses import dataclass

from bench import bulk, calls, throughput
from bench.timing import ratio

SINGLE_ROW_LIMIT = 1.10
MANY_ROWS_LIMIT = 1.25
ORM_SPEEDUP = 2.0
COPY_SPEEDUP = 10.0
PGBENCH_FRACTION = {8: 0.8, 32: 0.7}  # service ÷ pgbench TPS, by client count (issue 12)
BEFORE_SPEEDUP = 1.3  # service ÷ the send path before issue 12, same run (issue 12)
PGBENCH_TARGET_CLIENTS = (8, 32)


@dataclass(frozen=True)
class Target:
    key: str
    """Short id, also the profile file name when the target is missed."""
    what: str
    value: float
    limit: float
    at_most: bool
    """True: value must be <= limit; False: value must be >= limit."""
    unit: str = "x"

    @property
    def passed(self) -> bool:
        return self.value <= self.limit if self.at_most else self.value >= self.limit

    @property
    def wanted(self) -> str:
        return f"{'≤' if self.at_most else '≥'} {self.limit:g}{self.unit}"

    @property
    def measured(self) -> str:
        return f"{self.value:.2f}{self.unit}"


def for_calls(call_results: list[calls.CaseResult]) -> list[Target]:
    """:one and :exec against the single-row bound (1.10x); both list sizes (:many, 100
    and 10,000 rows) against the bound the issue sets for 10,000 rows (1.25x)."""
    out: list[Target] = []
    for res in call_results:
        single = res.case.kind == "single"
        out.append(
            Target(
                key=f"overhead-{res.case.key}",
                what=f"generated ÷ raw asyncpg, {res.case.label}",
                value=ratio(res.stats[calls.GENERATED], res.stats[calls.RAW]),
                limit=SINGLE_ROW_LIMIT if single else MANY_ROWS_LIMIT,
                at_most=True,
            )
        )
    for res in call_results:
        out.append(
            Target(
                key=f"orm-{res.case.key}",
                what=f"SQLAlchemy ORM ÷ generated, {res.case.label}",
                value=ratio(res.stats[calls.SQLALCHEMY], res.stats[calls.GENERATED]),
                limit=ORM_SPEEDUP,
                at_most=False,
            )
        )
    return out


CHECK_SECONDS = 1.0


def for_codegen_check(seconds: float) -> list[Target]:
    """`check` is the CI step: what a fresh process pays, start-up and imports included."""
    return [
        Target(
            key="codegen-check",
            what="`python -m codegen check`, this project's queries (new process, wall)",
            value=seconds,
            limit=CHECK_SECONDS,
            at_most=True,
            unit=" s",
        )
    ]


def for_bulk(report: bulk.BulkReport) -> list[Target]:
    by = {r.method: r for r in report.results}
    return [
        Target(
            key="bulk-copy",
            what=f"COPY ÷ loop of single inserts in one transaction (rows/s, "
            f"{report.target_rows:,} rows)",
            value=by[bulk.COPY].rows_per_s / by[bulk.LOOP].rows_per_s,
            limit=COPY_SPEEDUP,
            at_most=False,
        )
    ]


def for_throughput(report: throughput.ThroughputReport) -> list[Target]:
    levels = [lv for lv in report.levels if lv.clients in PGBENCH_TARGET_CLIENTS]
    return [
        Target(
            key=f"throughput-{level.clients}",
            what=f"service ÷ pgbench TPS, {level.clients} clients",
            value=level.ratio(throughput.SERVICE, throughput.PGBENCH),
            limit=PGBENCH_FRACTION[level.clients],
            at_most=False,
        )
        for level in levels
    ] + [
        Target(
            key=f"before-{level.clients}",
            what=f"service ÷ service before issue 12 TPS, {level.clients} clients",
            value=level.ratio(throughput.SERVICE, throughput.BEFORE),
            limit=BEFORE_SPEEDUP,
            at_most=False,
        )
        for level in levels
    ]
