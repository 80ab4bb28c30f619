"""`stats`: `pg_stat_statements` joined to query names and source lines.

The server knows what each statement cost; the project knows which named query it is.
Every emitted SQL string starts with its `-- name: X :cmd` comment, which
`pg_stat_statements` keeps in its text, so that is matched first. Statements without it
(code generated before the comment was added, or the comment stripped by a proxy) are
matched by the fingerprint of their parse tree (pglast's, which ignores constants and
parameter numbers, the way `pg_stat_statements` normalises them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import asyncpg
import pglast

from codegen.analyze import Analysis
from codegen.errors import CodegenError, one_line
from codegen.pipeline import Result

HOW_TO_ENABLE = (
    "pg_stat_statements is not available in this database: add"
    " shared_preload_libraries = 'pg_stat_statements' to postgresql.conf (or -c"
    " shared_preload_libraries=pg_stat_statements), restart the server, then run"
    " CREATE EXTENSION pg_stat_statements; in the database"
)
_NAME = re.compile(r"^\s*--\s*name:\s*(\S+)")
_SQL = """
SELECT query, sum(calls)::bigint AS calls, sum(total_exec_time) AS total_ms,
       sum(rows)::bigint AS rows
FROM pg_stat_statements
WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
GROUP BY query
"""


@dataclass(frozen=True)
class Row:
    name: str  # the query's name, or "(other statements)"
    where: str  # file:line, or "" for other statements
    calls: int
    total_ms: float
    rows: int
    statements: int  # pg_stat_statements entries folded into this row

    @property
    def mean_ms(self) -> float:
        return self.total_ms / self.calls if self.calls else 0.0


def _fingerprint(sql: str) -> str | None:
    try:
        return str(pglast.fingerprint(sql))
    except pglast.parser.ParseError:
        return None


def match(query: str, by_name: dict[str, Analysis], by_print: dict[str, Analysis]) -> str | None:
    """The name of the project query a `pg_stat_statements` text is, or None."""
    m = _NAME.match(query)
    if m and m.group(1) in by_name:
        return m.group(1)
    fingerprint = _fingerprint(query)
    found = by_print.get(fingerprint) if fingerprint else None
    return found.query.name if found else None


async def _statements(dsn: str) -> list[asyncpg.Record]:
    try:
        conn = await asyncpg.connect(dsn)
    except (OSError, asyncpg.PostgresError) as exc:
        raise CodegenError(f"stats: cannot connect: {one_line(str(exc))}") from None
    try:
        installed = await conn.fetchval(
            "SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'"
        )
        if not installed:
            raise CodegenError(HOW_TO_ENABLE)
        return await conn.fetch(_SQL)
    except asyncpg.ObjectNotInPrerequisiteStateError:  # installed, not preloaded
        raise CodegenError(HOW_TO_ENABLE) from None
    finally:
        await conn.close()


def aggregate(records: list[Any], result: Result) -> list[Row]:
    """One row per project query (and one for everything else), by total time."""
    analyses = [a for an in result.files.values() for a in an]
    by_name = {a.query.name: a for a in analyses}
    by_print = {fp: a for a in analyses if (fp := _fingerprint(a.query.sql))}
    totals: dict[str, list[float]] = {}
    for r in records:
        name = match(r["query"], by_name, by_print) or ""
        t = totals.setdefault(name, [0, 0.0, 0, 0])
        t[0] += r["calls"]
        t[1] += r["total_ms"]
        t[2] += r["rows"]
        t[3] += 1
    out = []
    for name, (calls, total, rows, n) in totals.items():
        a = by_name.get(name)
        where = f"{a.query.source.path}:{a.query.line}" if a else ""
        out.append(Row(name or "(other statements)", where, int(calls), total, int(rows), int(n)))
    return sorted(out, key=lambda r: (-r.total_ms, r.name))


async def fetch(dsn: str, result: Result) -> list[Row]:
    return aggregate(await _statements(dsn), result)


def render(rows: list[Row], limit: int) -> str:
    head = ["query", "source", "calls", "total ms", "mean ms", "rows"]
    table = [
        [r.name, r.where, f"{r.calls:,}", f"{r.total_ms:,.1f}", f"{r.mean_ms:,.3f}", f"{r.rows:,}"]
        for r in rows[:limit]
    ]
    widths = [max(len(x) for x in col) for col in zip(head, *table, strict=False)]
    lines = []
    for i, line in enumerate([head, *table]):
        cells = [
            c.ljust(w) if j < 2 else c.rjust(w)
            for j, (c, w) in enumerate(zip(line, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    total = sum(r.total_ms for r in rows)
    lines.append(
        f"stats: {len(rows)} row(s), {total:,.1f} ms in all (pg_stat_statements, this database)"
    )
    return "\n".join(lines)
