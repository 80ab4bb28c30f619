"""The run's results as Markdown (printed and saved), JSON and a PNG chart."""

from __future__ import annotations

import json
import re
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.ticker import FixedLocator, FormatStrFormatter, NullLocator

from bench import bulk, calls, latency, throughput
from bench.profiling import ProfileSummary
from bench.targets import MANY_ROWS_LIMIT, SINGLE_ROW_LIMIT, Target
from bench.throughput import WhatIfReport
from bench.timing import ratio, ratio_iqr


@dataclass(frozen=True)
class RunInfo:
    command: str
    quick: bool
    started: str
    seconds: float
    versions: dict[str, str]
    cores: int
    load_before: float
    load_after: float
    settings: dict[str, str]


@dataclass
class Results:
    info: RunInfo
    calls: list[calls.CaseResult]
    bulk: bulk.BulkReport | None
    throughput: throughput.ThroughputReport | None
    targets: list[Target]
    profiles: list[ProfileSummary] = field(default_factory=list)
    codegen_md: str | None = None
    rows_md: list[str] = field(default_factory=list)  # bench.row_kinds.markdown
    notes: list[str] = field(default_factory=list)
    what_if: WhatIfReport | None = None
    latency: latency.LatencyReport | None = None


LATENCY_TEXT = [
    "One send at a time through a proxy of the bench's own that delays each direction "
    "(a process of its own; bench/latency.py), to a random one of the seeded chats; the "
    "sides interleaved send by send. Round trips are the client's Query, Sync and Flush "
    "messages counted by the proxy on the wire (the client waits for the answer to each). "
    "Raw asyncpg replays the old path's recorded statements (BEGIN with its bounds; three "
    "statements; COMMIT with the session reset) with no service code: context for what "
    "that wire traffic costs by itself.",
]


ROWS_TEXT = [
    "This project's queries generated once per kind; median µs per call and, in "
    "parentheses, the median per-round ratio to raw asyncpg with the same SQL. `record` "
    "rows are built by asyncpg (`record_class=`); the others are built from the Records "
    "in Python, one object per row (pydantic validates each)."
]


def _x(ratio: float) -> str:
    return f"{ratio:.2f}x"


def _us(us: float) -> str:
    return f"{us:,.0f}" if us >= 100 else f"{us:,.1f}"


def _table(head: list[str], rows: list[list[str]], align: str | None = None) -> list[str]:
    spec = align or "l" + "r" * (len(head) - 1)
    marks = [":---" if a == "l" else "---:" for a in spec]
    out = ["| " + " | ".join(head) + " |", "| " + " | ".join(marks) + " |"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def markdown(res: Results) -> str:
    info = res.info
    s = info.settings
    passed = sum(t.passed for t in res.targets)
    lines = [
        f"# chatdb benchmarks{' (quick smoke run)' if info.quick else ''}",
        "",
        f"`{info.command}` · {info.started} · {info.seconds / 60:.1f} min · "
        f"**{passed}/{len(res.targets)} targets met**",
        "",
        f"Machine: {info.cores} cores shared by the Python client *and* PostgreSQL "
        f"{s.get('server_version', '?')} (fsync={s.get('fsync', '?')}, "
        f"synchronous_commit={s.get('synchronous_commit', '?')}, "
        f"shared_buffers={s.get('shared_buffers', '?')}, jit={s.get('jit', '?')}); "
        f"load average {info.load_before:.2f} before, {info.load_after:.2f} after. "
        + ", ".join(f"{k} {v}" for k, v in info.versions.items())
        + ".",
        "",
        "Every figure is a ratio against a baseline measured in the same run; contenders "
        "are interleaved (rotating A/B/C/D order every round) and medians are reported.",
        "",
        "## Targets",
        "",
    ]
    lines += _table(
        ["", "target", "measured", ""],
        [[t.what, t.wanted, t.measured, "PASS" if t.passed else "**MISS**"] for t in res.targets],
        "lrrl",
    )
    if res.calls:
        lines += [
            "",
            "## 1-2. Per-call cost: generated vs raw asyncpg, aiosql, SQLAlchemy ORM",
            "",
            "Median µs per call; in parentheses the ratio to raw asyncpg (the floor: "
            "`conn.fetchrow/fetch/execute` with the same SQL text), taken as the median of the "
            "per-round ratios (each round runs every contender back to back). The last column "
            "is the interquartile range of the per-round generated ÷ raw ratios: the noise.",
            "",
        ]
        rows = []
        for r in res.calls:
            raw = r.stats[calls.RAW]
            cells = [r.case.label]
            for name in calls.CONTENDERS:
                st = r.stats[name]
                cells.append(
                    _us(st.median)
                    if name == calls.RAW
                    else f"{_us(st.median)} ({_x(ratio(st, raw))})"
                )
            cells.append(_x(ratio(r.stats[calls.SQLALCHEMY], r.stats[calls.GENERATED])))
            cells.append(f"{r.case.rounds} x {r.case.batch}")
            q1, q3 = ratio_iqr(r.stats[calls.GENERATED], raw)
            cells.append(f"{q1:.2f}-{q3:.2f}")
            rows.append(cells)
        lines += _table(
            [
                "operation",
                *calls.CONTENDERS,
                "ORM ÷ generated",
                "rounds x calls",
                "generated ÷ raw, IQR",
            ],
            rows,
        )
        lines += [
            "",
            "Generated: `chatmodelconfigs.get_chat_model_config_by_id`, "
            "`chat_messages.list_chat_messages` (page_size 100 / 10,000; one message in ten "
            "carries jsonb), `chat_messages.insert_chat_message` (ON CONFLICT DO NOTHING "
            "RETURNING *), `chatmodelconfigs.delete_chat_model_config_by_id` (:exec UPDATE). "
            "SQLAlchemy: one AsyncSession per operation, bound to an open connection in "
            "AUTOCOMMIT mode (no pool checkout, no BEGIN/COMMIT round trips: its best case); "
            "aiosql: asyncpg adapter, same SQL text (checked at start), returns Records.",
        ]
    if res.bulk is not None:
        b = res.bulk
        by = {r.method: r for r in b.results}
        loop = by[bulk.LOOP].rows_per_s
        lines += [
            "",
            f"## 3. Bulk insert of {b.target_rows:,} messages",
            "",
        ]
        lines += _table(
            [
                "method",
                "rows timed",
                "median s",
                "rows/s",
                "÷ loop (1 tx)",
                f"est. s for {b.target_rows:,}",
            ],
            [
                [
                    r.method,
                    f"{r.rows:,}",
                    f"{r.seconds.median:.2f}",
                    f"{r.rows_per_s:,.0f}",
                    _x(r.rows_per_s / loop),
                    f"{b.target_rows / r.rows_per_s:.1f}",
                ]
                for r in b.results
            ],
        )
        lines += ["", *[f"- {n}" for n in b.notes]]
    if res.throughput is not None:
        t = res.throughput
        lines += [
            "",
            "## 4. Service throughput: send a message",
            "",
            f"Implementation: {t.service_name}: {'; '.join(t.statements)} (one statement "
            f"that commits itself: no BEGIN, no COMMIT, no reset), on a random one of "
            f"{t.chats:,} existing chats; pgbench runs the same statements, recorded from "
            f"one send (`{t.script_name}`), with `-M prepared -j 1` and the service's "
            'bounds as session settings (PGOPTIONS). "old" is the five-round-trip path '
            "it replaced (bench/five_trip_send.py: BEGIN; UpsertChatForSender; "
            "InsertChatMessage; TouchChatAfterMessage; COMMIT with the reset). "
            "Client CPU is what the client process itself used (1.0 = one core busy); "
            "PostgreSQL gets what is left of the 2 cores.",
            "",
        ]
        pg, rw, sv = throughput.PGBENCH, throughput.RAW, throughput.SERVICE
        old = throughput.BEFORE
        lines += _table(
            [
                "clients",
                "pgbench TPS",
                "raw asyncpg TPS",
                "service TPS",
                "old path TPS",
                "service ÷ old",
                "service ÷ pgbench",
                "service ÷ raw asyncpg",
                "client CPU ms/txn: service / old / raw / pgbench",
                "runs",
            ],
            [
                [
                    str(lv.clients),
                    f"{lv.tps(pg):,.0f}",
                    f"{lv.tps(rw):,.0f}",
                    f"{lv.tps(sv):,.0f}",
                    f"{lv.tps(old):,.0f}",
                    _x(lv.ratio(sv, old)),
                    _x(lv.ratio(sv, pg)),
                    _x(lv.ratio(sv, rw)),
                    f"{lv.cpu_ms(sv):.2f} / {lv.cpu_ms(old):.2f} / {lv.cpu_ms(rw):.2f}"
                    f" / {lv.cpu_ms(pg):.2f}",
                    f"{len(lv.runs[sv])} x {t.seconds:g}s",
                ]
                for lv in t.levels
            ],
        )
        pooled = [lv for lv in t.levels if lv.has(throughput.SERVICE_PGB)]
        if pooled:
            sp, op = throughput.SERVICE_PGB, throughput.BEFORE_PGB
            lines += ["", "Through PgBouncer (transaction mode), same run:", ""]
            lines += _table(
                [
                    "clients",
                    "service TPS",
                    "old path TPS",
                    "service ÷ old",
                    "service ÷ service direct",
                    "client CPU ms/txn: service / old",
                ],
                [
                    [
                        str(lv.clients),
                        f"{lv.tps(sp):,.0f}",
                        f"{lv.tps(op):,.0f}",
                        _x(lv.ratio(sp, op)),
                        _x(lv.ratio(sp, sv)),
                        f"{lv.cpu_ms(sp):.2f} / {lv.cpu_ms(op):.2f}",
                    ]
                    for lv in pooled
                ],
            )
        lines += ["", *[f"- {n}" for n in t.notes]]
    if res.latency is not None:
        lines += ["", "## 4a. Send latency with real distance", "", *LATENCY_TEXT]
        lines += latency.markdown(res.latency)
    if res.rows_md:
        lines += ["", "## 1b. Per-call cost by `[tool.codegen] rows` kind", "", *ROWS_TEXT]
        lines += ["", *res.rows_md]
    if res.codegen_md:
        body = re.sub(r"^(#+)", r"\1##", res.codegen_md.strip(), flags=re.M)
        lines += ["", "## 5. Code generation (from bench/results/codegen.md)", "", body]
    if res.profiles:
        lines += [
            "",
            "## Profiles of the missed targets",
            "",
            "pyinstrument self time by whose code runs (asyncpg's Cython protocol has no "
            "Python frames: reply parsing shows under the event loop).",
        ]
        for p in res.profiles:
            lines += ["", f"**{p.name}** ({p.seconds:.1f} s sampled, tree: `{p.path.name}`)", ""]
            lines += _table(
                ["where", "share"], [[k, f"{v:.1%}"] for k, v in p.shares.items() if v >= 0.005]
            )
            if p.ours:
                lines += [
                    "",
                    "Hottest in src/chatdb: "
                    + "; ".join(f"`{name}` {share:.1%}" for name, share in p.ours),
                ]
    if res.what_if is not None:
        w = res.what_if
        lines += [
            "",
            f"## What-if: round trips per send-message transaction ({w.clients} clients)",
            "",
            "Run because a throughput target was missed: the service against the old send "
            "path (bench/five_trip_send.py) and the raw replay of its own "
            "statements, interleaved rep by rep (median TPS; ratio to the service as is).",
            "",
        ]
        lines += _table(
            ["variant", "round trips / txn", "TPS", "÷ service", "client CPU ms/txn", "runs"],
            [
                [
                    v.label,
                    str(v.round_trips),
                    f"{statistics.median(r.tps for r in v.runs):,.0f}",
                    _x(w.ratio(v)),
                    f"{statistics.median(1000 * r.cpu_cores / r.tps for r in v.runs):.2f}",
                    f"{len(v.runs)} x {w.seconds:g}s",
                ]
                for v in w.variants
            ],
        )
    if res.notes:
        lines += ["", "## Notes", "", *[f"- {n}" for n in res.notes]]
    return "\n".join(lines) + "\n"


def to_json(res: Results) -> dict[str, Any]:
    out: dict[str, Any] = {
        "info": res.info.__dict__,
        "targets": [{**t.__dict__, "passed": t.passed, "wanted": t.wanted} for t in res.targets],
        "calls": [
            {
                "case": r.case.__dict__,
                "us_per_call": {
                    n: {
                        "median": s.median,
                        "ratio_to_raw": ratio(s, r.stats[calls.RAW]),
                        "iqr_pct": s.iqr_pct,
                        "samples": list(s.samples),
                    }
                    for n, s in r.stats.items()
                },
            }
            for r in res.calls
        ],
        "notes": res.notes,
    }
    if res.bulk is not None:
        out["bulk"] = {
            "target_rows": res.bulk.target_rows,
            "notes": res.bulk.notes,
            "methods": [
                {
                    "method": r.method,
                    "rows": r.rows,
                    "seconds": list(r.seconds.samples),
                    "rows_per_s": r.rows_per_s,
                }
                for r in res.bulk.results
            ],
        }
    if res.throughput is not None:
        t = res.throughput
        out["throughput"] = {
            "service": t.service_name,
            "statements": t.statements,
            "notes": t.notes,
            "seconds": t.seconds,
            "script": t.script,
            "levels": [
                {
                    "clients": lv.clients,
                    **{side: [r.__dict__ for r in runs] for side, runs in lv.runs.items()},
                }
                for lv in t.levels
            ],
        }
    if res.latency is not None:
        lat = res.latency
        out["latency"] = [
            {
                "side": side,
                "delay_ms_each_way": d,
                "round_trips": lat.round_trips[(side, d)],
                **{f"p{q}_ms": lat.percentile(side, d, q) for q in (50, 90, 99)},
            }
            for d in lat.delays
            for side in latency.SIDES
        ]
    if res.what_if is not None:
        out["what_if"] = {
            "clients": res.what_if.clients,
            "variants": [
                {
                    "label": v.label,
                    "round_trips": v.round_trips,
                    "runs": [r.__dict__ for r in v.runs],
                }
                for v in res.what_if.variants
            ],
        }
    out["profiles"] = [
        {"name": p.name, "seconds": p.seconds, "shares": p.shares, "ours": p.ours}
        for p in res.profiles
    ]
    return out


def chart(res: Results, path: Path) -> None:
    panels = sum(x is not None and x != [] for x in (res.calls, res.bulk, res.throughput))
    fig, axes = plt.subplots(1, max(1, panels), figsize=(6.2 * max(1, panels), 5.2))
    axs = list(axes) if panels > 1 else [axes]
    i = 0
    if res.calls:
        ax = axs[i]
        i += 1
        names = [calls.GENERATED, calls.AIOSQL, calls.SQLALCHEMY]
        width = 0.8 / len(names)
        for k, name in enumerate(names):
            ys = [ratio(r.stats[name], r.stats[calls.RAW]) for r in res.calls]
            xs = [j + (k - 1) * width for j in range(len(res.calls))]
            bars = ax.bar(xs, ys, width, label=name)
            ax.bar_label(bars, labels=[f"{y:.2f}" for y in ys], fontsize=7, padding=1)
        ax.axhline(1.0, color="black", linewidth=0.8)
        for limit, text in ((SINGLE_ROW_LIMIT, "single-row target"), (MANY_ROWS_LIMIT, ":many")):
            ax.axhline(limit, color="C0", linestyle=":", linewidth=0.8)
            ax.annotate(
                text, (len(res.calls) - 0.5, limit), fontsize=6, color="C0", ha="right", va="bottom"
            )
        ax.set_yscale("log")
        ax.set_ylim(0.7, None)
        ax.yaxis.set_major_locator(FixedLocator([0.8, 1, 1.25, 1.5, 2, 3, 4, 6, 8]))
        ax.yaxis.set_major_formatter(FormatStrFormatter("%gx"))
        ax.yaxis.set_minor_locator(NullLocator())
        ax.set_xticks(range(len(res.calls)))
        ax.set_xticklabels([r.case.label.replace(" (", "\n(") for r in res.calls], fontsize=8)
        ax.set_ylabel("time per call ÷ raw asyncpg (log)")
        ax.set_title("Per-call cost vs raw asyncpg (lower is better)")
        ax.legend(fontsize=8)
    if res.bulk is not None:
        ax = axs[i]
        i += 1
        loop = next(r for r in res.bulk.results if r.method == bulk.LOOP).rows_per_s
        labels = [bulk.SHORT[r.method] for r in res.bulk.results]
        ys = [r.rows_per_s / loop for r in res.bulk.results]
        bars = ax.bar(range(len(ys)), ys, color=["C2", "C1", "C0", "C7", "lightgrey"][: len(ys)])
        ax.bar_label(bars, labels=[f"{y:.2f}x" for y in ys], fontsize=8)
        ax.axhline(10.0, color="red", linestyle="--", linewidth=0.8, label="target for COPY")
        ax.set_yscale("log")
        ax.set_xticks(range(len(ys)))
        ax.set_xticklabels(labels, fontsize=8)
        ax.yaxis.set_major_formatter(FormatStrFormatter("%gx"))
        ax.set_ylabel("rows/s ÷ loop in one transaction (log)")
        ax.set_title(f"Bulk insert, {res.bulk.target_rows:,} messages")
        ax.legend(fontsize=8)
    if res.throughput is not None:
        ax = axs[i]
        t = res.throughput
        xs = list(range(len(t.levels)))
        width = 0.2
        colors = {
            throughput.PGBENCH: "C7",
            throughput.RAW: "C1",
            throughput.SERVICE: "C0",
            throughput.BEFORE: "C9",
        }
        for k, side in enumerate(throughput.SIDES):
            ys = [lv.tps(side) for lv in t.levels]
            bars = ax.bar(
                [x + (k - 1.5) * width for x in xs], ys, width, label=side, color=colors[side]
            )
            if side != throughput.PGBENCH:
                ax.bar_label(
                    bars,
                    labels=[f"{lv.ratio(side, throughput.PGBENCH):.2f}x" for lv in t.levels],
                    fontsize=8,
                )
        ax.set_xticks(xs)
        ax.set_xticklabels(
            [f"{lv.clients} client{'s' if lv.clients > 1 else ''}" for lv in t.levels]
        )
        ax.set_ylabel("transactions/s")
        ax.axhline(0, color="black", linewidth=0.5)
        ax.set_title("Send-message throughput (labels: ÷ pgbench)")
        ax.legend(fontsize=8)
    fig.suptitle(
        f"chatdb benchmarks — {res.info.started} — {res.info.cores} cores shared with "
        "PostgreSQL" + (" — quick run" if res.info.quick else ""),
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write(res: Results, out_dir: Path, name: str) -> str:
    """Write <name>.md/.json/.png into out_dir; return the Markdown."""
    out_dir.mkdir(parents=True, exist_ok=True)
    md = markdown(res)
    (out_dir / f"{name}.md").write_text(md)
    (out_dir / f"{name}.json").write_text(json.dumps(to_json(res), indent=1, default=str) + "\n")
    chart(res, out_dir / f"{name}.png")
    return md
