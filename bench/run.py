"""Run the whole benchmark suite: ``.venv/bin/python -m bench [--quick]``.

Creates a scratch database on $DATABASE_URL's server (default
postgresql://postgres@127.0.0.1:5432/postgres), applies the migrations, seeds it, runs
the parts, drops it, then writes bench/results/<name>.md/.json/.png and prints the
Markdown. Exit status: 0 all targets met, 1 a target missed, 2 the run failed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from bench import (
    bulk,
    calls,
    latency,
    profiling,
    report,
    row_kinds,
    scratch,
    targets,
    throughput,
    vector_search,
    vs_sqlc,
)
from bench.targets import Target

RESULTS = Path(__file__).resolve().parent / "results"
PARTS = ("calls", "rows", "bulk", "latency", "throughput", "codegen", "vectors")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark the generated data layer against raw asyncpg, aiosql, "
        "SQLAlchemy ORM and pgbench; write bench/results/<name>.{md,json,png}.",
    )
    p.add_argument("--quick", action="store_true", help="fast smoke run (~1 min, noisy)")
    p.add_argument(
        "--only",
        default=",".join(PARTS),
        help=f"comma-separated parts to run (default: all of {','.join(PARTS)})",
    )
    p.add_argument("--out", type=Path, default=RESULTS, help="results directory")
    p.add_argument(
        "--name", default=None, help="results file stem (default: latest, or quick with --quick)"
    )
    p.add_argument("--clients", default="1,8,32", help="client counts for throughput")
    p.add_argument("--seconds", type=float, default=None, help="seconds per throughput run")
    p.add_argument("--no-profile", action="store_true", help="skip profiling the missed targets")
    return p


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _versions() -> dict[str, str]:
    out = {"Python": platform.python_version()}
    for pkg, label in (("asyncpg", "asyncpg"), ("sqlalchemy", "SQLAlchemy"), ("aiosql", "aiosql")):
        out[label] = version(pkg)
    return out


async def _profile(
    missed: list[Target], fx: scratch.Fixture, args: argparse.Namespace, stem: str
) -> list[profiling.ProfileSummary]:
    """Profile the contender at fault for each missed target (once per contender)."""
    out: list[profiling.ProfileSummary] = []
    if args.no_profile:
        return out
    seconds = 1.5 if args.quick else 4.0
    done: set[str] = set()
    for t in missed:
        kind, _, what = t.key.partition("-")
        work: Callable[[], Awaitable[object]]
        if kind in ("overhead", "orm"):
            contender = calls.GENERATED if kind == "overhead" else calls.SQLALCHEMY
            name = f"calls-{what}-{contender.split()[0].lower()}"
            work = calls.profile_work(fx, what, contender, seconds)
        elif kind == "bulk":
            name = "bulk"
            work = bulk.profile_work(fx, rows=5_000 if args.quick else 20_000)
        elif kind == "throughput":
            name = f"throughput-{what}-clients"
            work = throughput.profile_work(fx, int(what), seconds)
        else:
            continue
        if name in done:
            continue
        done.add(name)
        _log(f"  profiling {name} ...")
        out.append(await profiling.profile(name, work, args.out / f"{stem}-profile-{name}.txt"))
    return out


async def run(args: argparse.Namespace) -> int:
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        raise SystemExit(f"unknown part(s): {', '.join(sorted(unknown))}")
    stem = args.name or ("quick" if args.quick else "latest")
    clients = [int(c) for c in args.clients.split(",")]
    seconds = args.seconds or (2.0 if args.quick else 4.0)
    started = time.time()
    load_before = os.getloadavg()[0]
    args.out.mkdir(parents=True, exist_ok=True)
    for stale in args.out.glob(f"{stem}-profile-*.txt"):
        stale.unlink()  # profiles of an earlier run's misses
    call_results: list[calls.CaseResult] = []
    rows_md: list[str] = []
    bulk_report: bulk.BulkReport | None = None
    tp_report: throughput.ThroughputReport | None = None
    lat_report: latency.LatencyReport | None = None
    found: list[Target] = []
    what_if: throughput.WhatIfReport | None = None
    profiles: list[profiling.ProfileSummary] = []
    notes: list[str] = []

    async def check(new: list[Target]) -> None:
        """Record a part's targets and profile its misses now, while its data is there."""
        found.extend(new)
        profiles.extend(await _profile([t for t in new if not t.passed], fx, args, stem))

    async with scratch.scratch_database(scratch.admin_dsn()) as db:
        _log(f"scratch database ready: {scratch.redact(db)}")
        fx = await scratch.seed(db, throughput_chats=1000)
        settings = await scratch.server_settings(db)
        if "calls" in parts:
            _log("1-2. per-call cost ...")
            call_results = await calls.run(fx, args.quick, _log)
            await check(targets.for_calls(call_results))
        if "rows" in parts:
            _log("1b. per-call cost by row kind ...")
            rows_md = row_kinds.markdown(await row_kinds.run(fx, args.quick, _log))
        if "bulk" in parts:
            _log("3. bulk insert ...")
            bulk_report = await bulk.run(
                fx,
                rows=10_000 if args.quick else 100_000,
                loop_rows=2_000 if args.quick else 15_000,
                autocommit_rows=300 if args.quick else 1_500,
                reps=1 if args.quick else 3,
                log=_log,
            )
            await check(targets.for_bulk(bulk_report))
        if "latency" in parts:
            _log("4a. send latency over a delaying proxy ...")
            lat_report = await latency.run(fx, sends=60 if args.quick else 400, log=_log)
            found.extend(targets.for_latency(lat_report))
        if "throughput" in parts:
            _log("4. service throughput ...")
            tp_report = await throughput.run(
                fx,
                clients=clients,
                seconds=seconds,
                reps=1 if args.quick else 3,
                script_path=args.out / f"{stem}-send_message.pgbench",
                log=_log,
            )
            await check(targets.for_throughput(tp_report))
            missed_levels = [
                int(t.key.partition("-")[2])
                for t in found
                if t.key.startswith("throughput-") and not t.passed
            ]
            if missed_levels and not args.no_profile:
                _log(f"  what-if at {missed_levels[0]} clients ...")
                what_if = await throughput.what_if(
                    fx, missed_levels[0], seconds, reps=1 if args.quick else 2
                )
    versus: vs_sqlc.Comparison | None = None
    generate_profile: list[str] = []
    if "codegen" in parts:
        _log("5. codegen check and generate against sqlc ...")
        versus = vs_sqlc.compare(runs=3 if args.quick else 11)
        found.extend(targets.for_codegen_check(versus))
        profile_path = args.out / f"{stem}-profile-codegen-generate.txt"
        generate_profile = vs_sqlc.profile_generate(profile_path)
    if "vectors" in parts:
        _log("6. semantic search: HNSW vs exact (bench/vector_search.py) ...")
        rows, queries = (10_000, 50) if args.quick else (100_000, 200)
        options = argparse.Namespace(rows=rows, queries=queries, dsn=scratch.admin_dsn())
        text = vector_search.write(await vector_search.run(options), args.out, f"{stem}-vectors")
        notes.append(f"Semantic search (part `vectors`): {args.out.name}/{stem}-vectors.md")
        _log(text)
    load_after = os.getloadavg()[0]
    cores = os.cpu_count() or 1
    if args.quick:
        notes.append("Quick run: few rounds and short runs, so the figures are noisy.")
    if max(load_before, load_after) > cores / 2:
        notes.append(
            f"The machine was busy with other processes (load average {load_before:.1f} "
            f"before, {load_after:.1f} after, on {cores} cores): expect noise, above all in "
            "the throughput figures; interleaving keeps the ratios comparable."
        )
    codegen = RESULTS / "codegen.md"
    only = "" if args.only == ",".join(PARTS) else f" --only {args.only}"
    info = report.RunInfo(
        command=f"python -m bench{' --quick' if args.quick else ''}{only}",
        quick=args.quick,
        started=datetime.fromtimestamp(started, UTC).strftime("%Y-%m-%d %H:%M UTC"),
        seconds=time.time() - started,
        versions=_versions(),
        cores=cores,
        load_before=load_before,
        load_after=load_after,
        settings=settings,
    )
    results = report.Results(
        info=info,
        calls=call_results,
        bulk=bulk_report,
        throughput=tp_report,
        latency=lat_report,
        targets=found,
        profiles=profiles,
        codegen_md=_codegen_md(versus, generate_profile, codegen),
        rows_md=rows_md,
        notes=notes,
        what_if=what_if,
    )
    md = report.write(results, args.out, stem)
    print(md)
    _log(f"wrote {args.out / stem}.md, .json, .png")
    return 0 if all(t.passed for t in found) else 1


def _codegen_md(
    versus: vs_sqlc.Comparison | None, generate_profile: list[str], codegen: Path
) -> str | None:
    """This run's comparison with sqlc and profile of `generate`, then bench_codegen.py's
    last table."""
    parts = []
    if versus is not None:
        parts.append("\n".join(["### Against sqlc (this run)", "", *vs_sqlc.markdown(versus)]))
        parts.append("\n".join(["### Where `generate` spends its time", "", *generate_profile]))
    if codegen.exists():
        detail = "### In detail (bench/bench_codegen.py, its own run)"
        parts.append(f"{detail}\n\n{codegen.read_text()}")
    return "\n\n".join(parts) or None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return asyncio.run(run(args))
    except KeyboardInterrupt:
        return 130
    except Exception:
        traceback.print_exc()
        return 2
