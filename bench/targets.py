"""The issue's targets, checked against one run's results."""

from __future__ import annotations

from dataclasses import dataclass

from bench import bulk, calls, latency, throughput, vs_sqlc
from bench.timing import ratio

SINGLE_ROW_LIMIT = 1.10
MANY_ROWS_LIMIT = 1.25
LARGE_LIST_LIMIT = 1.10  # 10,000 rows at raw-driver speed...
LARGE_LIST_KEY = "list_10000"
AHEAD_OF_AIOSQL = 1.0  # ... and ahead of aiosql, a peer returning untyped Records
ORM_SPEEDUP = 2.0
COPY_SPEEDUP = 10.0
# Send throughput, each measured in the same run: the service against raw asyncpg replaying
# its own statements (the client's floor), at every client count; the one-statement send
# against the five-round-trip path it replaced; through PgBouncer against direct.
RAW_FRACTION = 0.95
RAW_TARGET_CLIENTS = (1, 8, 32)
BEFORE_SPEEDUP = 1.2
BEFORE_TARGET_CLIENTS = (8,)
POOLER_FRACTION = 0.6
# The send's latency at 0.5 ms each way (a round trip of 1 ms): p50 at most this.
LATENCY_P50_MS = 6.0


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
    out: list[Target] = []
    for level in report.levels:
        if level.clients in RAW_TARGET_CLIENTS:
            out.append(Target(
                key=f"throughput-{level.clients}",
                what=f"service ÷ raw asyncpg replaying its statements, TPS, {level.clients} "
                "clients",
                value=level.ratio(throughput.SERVICE, throughput.RAW),
                limit=RAW_FRACTION,
                at_most=False,
            ))  # fmt: skip
        if level.clients in BEFORE_TARGET_CLIENTS:
            out.append(Target(
                key=f"before-{level.clients}",
                what=f"service ÷ {throughput.BEFORE} TPS, {level.clients} clients",
                value=level.ratio(throughput.SERVICE, throughput.BEFORE),
                limit=BEFORE_SPEEDUP,
                at_most=False,
            ))  # fmt: skip
        if level.has(throughput.SERVICE_PGB):
            out.append(Target(
                key=f"pooler-{level.clients}",
                what=f"service through PgBouncer ÷ direct, TPS, {level.clients} clients",
                value=level.ratio(throughput.SERVICE_PGB, throughput.SERVICE),
                limit=POOLER_FRACTION,
                at_most=False,
            ))  # fmt: skip
    return out


def for_latency(report: latency.LatencyReport) -> list[Target]:
    """The send's p50 over a link of 0.5 ms each way."""
    return [
        Target(
            key="latency-send",
            what=f"send_message p50 latency, {d:g} ms each way (ms)",
            value=report.percentile(latency.SERVICE, d, 50),
            limit=LATENCY_P50_MS,
            at_most=True,
            unit=" ms",
        )
        for d in report.delays
        if d == 0.5
    ]
