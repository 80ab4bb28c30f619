"""Benchmark of the code generator itself: wall time of `generate` and `check`, peak memory.

Run it (no database needed; about two minutes on 2 cores, one with --runs 3):

    .venv/bin/python bench/bench_codegen.py               # 7 runs per figure
    .venv/bin/python bench/bench_codegen.py --runs 3      # quicker, noisier
    .venv/bin/python bench/bench_codegen.py --queries 5000 --out /tmp/codegen.md

It prints a Markdown table and writes it to bench/results/codegen.md. Not part of the test
suite (tests/ checks behaviour; this measures it).

What is measured, for two inputs -- this project's schema/ and queries/, and a synthetic
corpus of 1,000 queries over 20 tables generated into a temporary directory (a realistic
mix of lookups, joins, aggregates, inserts, upserts, updates, deletes, slices, embeds, CTEs,
COPY and batches):

* `generate` and `check` in-process through `codegen.cli.main` (warm: modules imported,
  bundled catalog data loaded), and as a subprocess `python -m codegen ...` (cold: what a
  pre-commit hook or CI step pays, interpreter start-up included);
* the stages in-process: parse, catalog replay, analysis, rendering;
* peak memory: tracemalloc's peak for the in-process run, the child's max RSS
  (os.wait4) for the subprocess.

Every figure is the median of the runs, as wall time and as CPU time (user + system):
the machine may be busy with other work, which stretches wall time but hardly CPU time.
So that numbers from different machines can be compared, each is also given relative to
baselines measured in the same run -- the interpreter's start-up (`python -c pass`),
importing the generator (`python -c "import codegen.cli"`), parse-only time for the same
input -- and per query.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `codegen` importable
    sys.path.insert(0, str(ROOT))

from codegen import analyze, cli, parse, pipeline  # noqa: E402
from codegen import config as cfg  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "codegen.md"


# -- the synthetic corpus --------------------------------------------------------------

_COLUMN_KINDS = [
    ("text NOT NULL", "text"),
    ("text", "text"),
    ("bigint NOT NULL DEFAULT 0", "int"),
    ("integer", "int"),
    ("numeric(12, 2)", "num"),
    ("boolean NOT NULL DEFAULT false", "bool"),
    ("timestamptz", "ts"),
    ("jsonb", "json"),
    ("text[] NOT NULL DEFAULT '{}'", "arr"),
    ("status NOT NULL DEFAULT 'active'", "enum"),
]


@dataclass(frozen=True)
class SynthTable:
    name: str
    parent: str | None  # the table its foreign key points at
    columns: tuple[tuple[str, str], ...]  # (name, kind) beyond id/parent/created_at


def synth_tables(count: int, rng: random.Random) -> list[SynthTable]:
    tables: list[SynthTable] = []
    for i in range(count):
        parent = tables[rng.randrange(len(tables))].name if tables else None
        picked = rng.sample(_COLUMN_KINDS, k=6)
        cols = tuple((f"{kind}_{j}", kind) for j, (_, kind) in enumerate(picked))
        tables.append(SynthTable(f"entity_{i:02d}s", parent, cols))
    return tables


def synth_schema(tables: list[SynthTable]) -> list[tuple[str, str]]:
    """Migration files: an enum, then a few tables per file with FK indexes."""
    ddl = {kind: sql for sql, kind in _COLUMN_KINDS}
    files = [("0001_types.sql", "CREATE TYPE status AS ENUM ('active', 'paused', 'gone');\n")]
    for start in range(0, len(tables), 4):
        out = []
        for t in tables[start : start + 4]:
            lines = ["    id uuid PRIMARY KEY DEFAULT gen_random_uuid()"]
            if t.parent:
                lines.append(
                    f"    parent_id uuid NOT NULL REFERENCES {t.parent} (id) ON DELETE CASCADE"
                )
            lines += [f"    {name} {ddl[kind]}" for name, kind in t.columns]
            lines += [
                "    code text NOT NULL UNIQUE",
                "    created_at timestamptz NOT NULL DEFAULT now()",
            ]
            out.append(f"CREATE TABLE {t.name} (\n" + ",\n".join(lines) + "\n);\n")
            if t.parent:
                out.append(f"CREATE INDEX ON {t.name} (parent_id);\n")
            out.append(f"CREATE INDEX ON {t.name} (created_at);\n")
        files.append((f"{len(files) + 1:04d}_tables.sql", "\n".join(out)))
    return files


def _filter(name: str, kind: str) -> str:
    return {
        "text": f"{name} = @{name}",
        "int": f"{name} > @{name}",
        "num": f"{name} >= @{name}",
        "bool": f"{name} = @{name}",
        "ts": f"{name} < @{name}",
        "json": f"{name} @> @{name}",
        "arr": f"{name} && @{name}",
        "enum": f"{name} = @{name}",
    }[kind]


def synth_queries(t: SynthTable, n: int, rng: random.Random, by_name: dict[str, SynthTable]) -> str:
    """n named queries over table t, cycling through realistic shapes."""
    cols = [name for name, _ in t.columns]
    out: list[str] = []
    e = t.name
    camel = "".join(part.capitalize() for part in e.split("_"))

    def get(i: int) -> str:
        return f"-- name: Get{camel}{i} :one\nSELECT * FROM {e} WHERE id = @id;\n"

    def by_code(i: int) -> str:
        return f"-- name: ByCode{camel}{i} :one\nSELECT * FROM {e} WHERE code = @code FOR UPDATE;\n"

    def listing(i: int) -> str:
        name, kind = rng.choice(t.columns)
        return (
            f"-- Page through {e}, newest first.\n-- name: List{camel}{i} :many\n"
            f"SELECT id, code, {', '.join(cols[:3])}, created_at FROM {e}\n"
            f"WHERE {_filter(name, kind)} AND (created_at, id) < (@before, @before_id)\n"
            f"ORDER BY created_at DESC, id DESC\nLIMIT @page_size;\n"
        )

    def insert(i: int) -> str:
        names = (["parent_id"] if t.parent else []) + ["code", *cols[:4]]
        values = ", ".join(f"@{c}" for c in names)
        return (
            f"-- name: Insert{camel}{i} :one\nINSERT INTO {e} ({', '.join(names)})\n"
            f"VALUES ({values})\nRETURNING *;\n"
        )

    def upsert(i: int) -> str:
        c = cols[0]
        return (
            f"-- name: Upsert{camel}{i} :one\nINSERT INTO {e} (code, {c}) VALUES (@code, @{c})\n"
            f"ON CONFLICT (code) DO UPDATE SET {c} = excluded.{c}\nRETURNING id, {c};\n"
        )

    def update(i: int) -> str:
        sets = ", ".join(f"{c} = @{c}" for c in cols[1:3])
        return f"-- name: Update{camel}{i} :execrows\nUPDATE {e} SET {sets} WHERE id = @id;\n"

    def delete(i: int) -> str:
        return f"-- name: Delete{camel}{i} :exec\nDELETE FROM {e} WHERE id = @id;\n"

    def count(i: int) -> str:
        name, kind = rng.choice(t.columns)
        return (
            f"-- name: Count{camel}{i} :one\n"
            f"SELECT count(*) AS n FROM {e} WHERE {_filter(name, kind)};\n"
        )

    def slice_(i: int) -> str:
        return (
            f"-- name: Many{camel}{i} :many\n"
            f"SELECT id, code FROM {e} WHERE id IN (sqlc.slice(ids)) ORDER BY code;\n"
        )

    def join(i: int) -> str:
        if not t.parent:
            return get(i)
        p = by_name[t.parent]
        return (
            f"-- name: WithParent{camel}{i} :many\n"
            f"SELECT c.id, c.code, p.code AS parent_code, p.{p.columns[0][0]}\n"
            f"FROM {e} c JOIN {p.name} p ON p.id = c.parent_id\n"
            f"WHERE c.created_at > @since ORDER BY c.created_at LIMIT 100;\n"
        )

    def embed(i: int) -> str:
        if not t.parent:
            return count(i)
        return (
            f"-- name: Embed{camel}{i} :many\nSELECT sqlc.embed(c), sqlc.embed(p)\n"
            f"FROM {e} c JOIN {t.parent} p ON p.id = c.parent_id WHERE p.id = @parent_id;\n"
        )

    def aggregate(i: int) -> str:
        if not t.parent:
            return listing(i)
        return (
            f"-- name: Stats{camel}{i} :many\n"
            f"SELECT p.id, count(c.id) AS children, max(c.created_at) AS latest\n"
            f"FROM {t.parent} p LEFT JOIN {e} c ON c.parent_id = p.id\n"
            f"GROUP BY p.id HAVING count(c.id) >= @min ORDER BY children DESC;\n"
        )

    def cte(i: int) -> str:
        return (
            f"-- name: Recent{camel}{i} :many\n"
            f"WITH recent AS (SELECT * FROM {e} WHERE created_at > now() - @age::interval)\n"
            f"SELECT r.id, coalesce(r.{cols[1]}, r.{cols[1]}) AS v, "
            f"CASE WHEN r.code LIKE @prefix THEN 'match' END AS tag FROM recent r;\n"
        )

    def copy(i: int) -> str:
        return (
            f"-- name: Copy{camel}{i} :copyfrom\n"
            f"INSERT INTO {e} (code, {cols[0]}) VALUES (@code, @{cols[0]});\n"
        )

    def batch(i: int) -> str:
        return f"-- name: Batch{camel}{i} :batchexec\nDELETE FROM {e} WHERE code = @code;\n"

    shapes: list[Callable[[int], str]] = [get, listing, insert, update, join, count, by_code]
    shapes += [upsert, slice_, embed, aggregate, delete, cte, listing, join, copy, batch, get]
    for i in range(n):
        out.append(shapes[i % len(shapes)](i))
    return "\n".join(out)


def write_corpus(root: Path, queries: int, tables: int = 20, seed: int = 1) -> Path:
    """A project with `queries` queries in one file per table; returns its pyproject.toml."""
    rng = random.Random(seed)
    ts = synth_tables(tables, rng)
    by_name = {t.name: t for t in ts}
    (root / "schema").mkdir(parents=True)
    (root / "queries").mkdir()
    for name, text in synth_schema(ts):
        (root / "schema" / name).write_text(text)
    per = [queries // tables + (1 if i < queries % tables else 0) for i in range(tables)]
    for t, n in zip(ts, per, strict=True):
        (root / "queries" / f"{t.name}.sql").write_text(synth_queries(t, n, rng, by_name))
    config = root / "pyproject.toml"
    config.write_text(
        '[tool.codegen]\nschema = "schema"\nqueries = "queries"\npackage = "src/synth_db"\n'
    )
    return config


def copy_project(root: Path) -> Path:
    """This project's schema and queries (and its committed output, for `check`)."""
    for rel in ("schema", "queries", "src/chatdb/db"):
        shutil.copytree(ROOT / rel, root / rel)
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root / "pyproject.toml"


# -- measuring -------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    wall: float  # seconds
    cpu: float  # seconds of user + system CPU time: barely moved by other load on the box
    peak_bytes: int = 0  # tracemalloc peak (in-process) or max RSS (subprocess)


def median(samples: list[Sample]) -> Sample:
    return Sample(
        statistics.median(s.wall for s in samples),
        statistics.median(s.cpu for s in samples),
        int(statistics.median(s.peak_bytes for s in samples)),
    )


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


def in_process(fn: Callable[[], object], runs: int, trace: bool = False) -> Sample:
    """Median wall and CPU time over `runs` calls after a warm-up; with trace, the
    tracemalloc peak of one more call (tracing slows it down, so it is not timed)."""
    fn()  # warm-up: imports, the bundled catalog, compiled templates
    samples = []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        samples.append(Sample(time.perf_counter() - wall, time.process_time() - cpu))
    result = median(samples)
    if trace:
        tracemalloc.start()
        fn()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        result = Sample(result.wall, result.cpu, peak)
    return result


# Children keep compiled bytecode in a private directory, as an installed package would
# have it; with PYTHONDONTWRITEBYTECODE (set in some environments) every start would
# compile the generator's modules again. `bytecode=False` measures exactly that case.
_PYCACHE = tempfile.mkdtemp(prefix="bench-codegen-pycache-")


def spawn(argv: list[str], cwd: Path, runs: int, bytecode: bool = True) -> Sample:
    """Median wall time, CPU time and max RSS of a child (os.wait4 reports its own usage)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if bytecode:
        env["PYTHONPYCACHEPREFIX"] = _PYCACHE
    else:  # installed packages keep their __pycache__; codegen/ (not installed) has none
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    samples = []
    for _ in range(runs + 1):
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        assert proc.stderr is not None
        err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}:\n{err.decode()}")
        cpu = usage.ru_utime + usage.ru_stime
        samples.append(Sample(wall, cpu, usage.ru_maxrss * 1024))  # ru_maxrss is KiB on Linux
    return median(samples[1:])  # the first run warms the page cache


def run_cli(args: list[str]) -> Callable[[], object]:
    def call() -> int:
        with quiet():
            return cli.main(args)

    return call


@dataclass(frozen=True)
class Stages:
    parse: Sample
    catalog: Sample
    analyze: Sample
    render: Sample


def stages(config_path: Path, runs: int) -> Stages:
    """Each stage on its own, in-process."""
    config = cfg.load(config_path)
    texts = [
        (p.relative_to(config.root).as_posix(), p.read_text())
        for p in sorted(config.queries.glob("*.sql"))
    ]
    result = pipeline.compile_project(config)

    def do_parse() -> list[parse.Query]:
        return [q for path, text in texts for q in parse.parse_file(path, text)]

    def do_catalog() -> object:
        return pipeline.load_catalog(config)

    parsed = do_parse()
    cat = pipeline.load_catalog(config)

    def do_analyze() -> object:
        return [analyze.analyze(q, cat) for q in parsed]

    def do_render() -> object:
        return pipeline.render_project(config, result)

    return Stages(
        in_process(do_parse, runs),
        in_process(do_catalog, runs),
        in_process(do_analyze, runs),
        in_process(do_render, runs),
    )


@dataclass(frozen=True)
class Row:
    label: str
    queries: int
    gen_warm: Sample
    check_warm: Sample
    gen_cold: Sample
    check_cold: Sample
    stages: Stages


def measure(label: str, config: Path, runs: int) -> Row:
    loaded = cfg.load(config)
    queries = sum(len(v) for v in pipeline.compile_project(loaded).files.values())
    gen = ["generate", "--config", str(config)]
    check = ["check", "--config", str(config)]
    gen_warm = in_process(run_cli(gen), runs, trace=True)
    if run_cli(check)() != 0:
        raise SystemExit(f"{label}: check failed right after generate")
    check_warm = in_process(run_cli(check), runs, trace=True)
    py = [sys.executable, "-m", "codegen"]
    gen_cold = spawn([*py, *gen], config.parent, runs)
    check_cold = spawn([*py, *check], config.parent, runs)
    return Row(label, queries, gen_warm, check_warm, gen_cold, check_cold, stages(config, runs))


# -- report ----------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds >= 0.0995 else f"{seconds * 1000:.1f} ms"


def mib(n: int) -> str:
    return f"{n / 2**20:,.1f} MiB"


def both(s: Sample) -> str:
    return f"{ms(s.wall)} / {ms(s.cpu)}"


def report(rows: list[Row], startup: Sample, imports: Sample, compiling: Sample, runs: int) -> str:
    load = os.getloadavg()[0]
    lines = [
        "# Code generator benchmark",
        "",
        f"`{' '.join(['python', 'bench/bench_codegen.py', *sys.argv[1:]])}`: median of "
        f"{runs} runs; Python {platform.python_version()}, {os.cpu_count()} CPUs "
        f"({platform.machine()}), load average {load:.1f} when it finished.",
        "",
        "Times are *wall / CPU* (user + system). Other work on the machine stretches wall "
        "time but hardly CPU time, so the ratios use CPU time.",
        "",
        f"Baselines from the same run: interpreter start-up (`python -c pass`) "
        f"{both(startup)}, {mib(startup.peak_bytes)} max RSS; importing the generator "
        f'(`python -c "import codegen.cli"`) {both(imports)}, {mib(imports.peak_bytes)}; '
        f"the same compiling codegen/ each time (PYTHONDONTWRITEBYTECODE=1 and no "
        f"codegen/__pycache__, as in this repository's environment) {both(compiling)}. "
        "The cold runs below have the cache, as an installed package would.",
        "",
        "| input | queries | command | warm (in-process) | cold (`python -m codegen`) "
        "| per query, warm | warm / parse-only | cold / start-up | peak memory warm / cold |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        for command, warm, cold in (
            ("generate", r.gen_warm, r.gen_cold),
            ("check", r.check_warm, r.check_cold),
        ):
            lines.append(
                f"| {r.label} | {r.queries:,} | `{command}` | {both(warm)} | {both(cold)} "
                f"| {warm.cpu / r.queries * 1000:.2f} ms "
                f"| {warm.cpu / r.stages.parse.cpu:.1f}x "
                f"| {cold.cpu / startup.cpu:.1f}x "
                f"| {mib(warm.peak_bytes)} / {mib(cold.peak_bytes)} |"
            )
    lines += [
        "",
        "Stages in-process, CPU time and share of their sum:",
        "",
        "| input | parse | catalog replay | analyze | render | sum per query |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        parts = [r.stages.parse, r.stages.catalog, r.stages.analyze, r.stages.render]
        total = sum(x.cpu for x in parts)
        cells = " | ".join(f"{ms(x.cpu)} ({100 * x.cpu / total:.0f}%)" for x in parts)
        lines.append(f"| {r.label} | {cells} | {total / r.queries * 1000:.2f} ms |")
    small, large = rows[0], rows[-1]
    lines += [
        "",
        "*Warm* is `codegen.cli.main` in an interpreter that has already run it once; "
        "*cold* is a new process each run (what a pre-commit hook or CI step pays), start-up "
        "and imports included. *Parse-only* is tokenizing and parsing the same query files. "
        "Peak memory is tracemalloc's peak of Python allocations (warm) and the child's max "
        f"RSS (cold). From {small.queries:,} to {large.queries:,} queries "
        f"({large.queries / small.queries:.0f}x the input), warm `generate` costs "
        f"{large.gen_warm.cpu / small.gen_warm.cpu:.1f}x the CPU time and cold `generate` "
        f"{large.gen_cold.cpu / small.gen_cold.cpu:.1f}x.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=7, help="runs per figure (median)")
    parser.add_argument("--queries", type=int, default=1000, help="synthetic corpus size")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the table")
    args = parser.parse_args(argv)

    startup = spawn([sys.executable, "-c", "pass"], ROOT, args.runs)
    imports = spawn([sys.executable, "-c", "import codegen.cli"], ROOT, args.runs)
    compiling = spawn([sys.executable, "-c", "import codegen.cli"], ROOT, args.runs, False)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-codegen-") as tmp:
        project = copy_project(Path(tmp) / "project")
        rows.append(measure("this project", project, args.runs))
        synthetic = write_corpus(Path(tmp) / "synthetic", args.queries)
        if run_cli(["generate", "--config", str(synthetic)])() != 0:
            raise SystemExit("the synthetic corpus does not compile: run generate on it")
        rows.append(measure(f"synthetic, {args.queries:,} queries", synthetic, args.runs))
    text = report(rows, startup, imports, compiling, args.runs)
    shutil.rmtree(_PYCACHE, ignore_errors=True)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(f"(written to {args.out})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
