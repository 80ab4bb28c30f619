"""The issue's targets, checked against one run's results."""

from __future__ import annotations

from dataclasses import dataclass

from bench import bulk, calls, throughput, vs_sqlc
from bench.timing import ratio

SINGLE_ROW_LIMIT = 1.10
MANY_ROWS_LIMIT = 1.25
LARGE_LIST_LIMIT = 1.10  # 10,000 rows at raw-driver speed...
LARGE_LIST_KEY = "list_10000"
AHEAD_OF_AIOSQL = 1.0  # ... and ahead of aiosql, a peer returning untyped Records
ORM_SPEEDUP = 2.0
COPY_SPEEDUP = 10.0
PGBENCH_FRACTION = {8: 0.8, 32: 0.7}  # service ÷ pgbench TPS, by client count
BEFORE_SPEEDUP = 1.3  # service ÷ the old 9-round-trip send path, same run
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


def _overhead_limit(case: calls.Case) -> float:
    if case.kind == "single":
        return SINGLE_ROW_LIMIT
    return LARGE_LIST_LIMIT if case.key == LARGE_LIST_KEY else MANY_ROWS_LIMIT


def for_calls(call_results: list[calls.CaseResult]) -> list[Target]:
    """:one and :exec against the single-row bound (1.10x); 10,000 rows (:many) against
    1.10x and aiosql; 100 rows against 1.25x."""
    out: list[Target] = []
    for res in call_results:
        out.append(
            Target(
                key=f"overhead-{res.case.key}",
                what=f"generated ÷ raw asyncpg, {res.case.label}",
                value=ratio(res.stats[calls.GENERATED], res.stats[calls.RAW]),
                limit=_overhead_limit(res.case),
                at_most=True,
            )
        )
        if res.case.key == LARGE_LIST_KEY:
            out.append(
                Target(
                    key=f"aiosql-{res.case.key}",
                    what=f"generated ÷ aiosql, {res.case.label}",
                    value=ratio(res.stats[calls.GENERATED], res.stats[calls.AIOSQL]),
                    limit=AHEAD_OF_AIOSQL,
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


CHECK_VS_SQLC = 1.0


def for_codegen_check(c: vs_sqlc.Comparison) -> list[Target]:
    """`check` is the CI step: what a fresh process pays, start-up and imports included,
    against the compiled tool doing the same job on the same project in the same run."""
    return [
        Target(
            key="codegen-check",
            what="`python -m codegen check` ÷ `sqlc diff`, this project (new process, wall)",
            value=c.ratio(vs_sqlc.CHECK, vs_sqlc.SQLC_DIFF),
            limit=CHECK_VS_SQLC,
            at_most=True,
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
            what=f"service ÷ old send path (9 round trips) TPS, {level.clients} clients",
            value=level.ratio(throughput.SERVICE, throughput.BEFORE),
            limit=BEFORE_SPEEDUP,
            at_most=False,
        )
        for level in levels
    ]
