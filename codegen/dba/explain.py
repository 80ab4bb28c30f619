"""`explain`: every query's plan on generated data, custom and generic, with what a DBA
would flag — sequential scans and sorts of large tables, and index scans that discard most
of what they read.

asyncpg prepares every statement, and after five executions PostgreSQL may switch a
prepared statement to a generic plan that ignores the parameter values; a query that
pages well with a custom plan can scan a whole index with the generic one. So each query
is PREPAREd and run under `plan_cache_mode = force_custom_plan` and `force_generic_plan`,
with `EXPLAIN ANALYZE` inside a transaction that is rolled back (writes leave no trace).

Parameters get representative values from the data: a parameter compared with a column
(`col = $1`, `col > $1`, `(a, b) < ($1, $2)`, `col = ANY($1)`, an INSERT or SET target)
takes the column's most common value for `=` (the busiest parent: the worst case), its
minimum for `>` (the first page of an ascending keyset walk) and its median for `<` (a
page half-way down a descending walk, whose first page is usually a NULL cursor); others
take a type-driven value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import asyncpg

from codegen.analyze import Analysis, ParamInfo
from codegen.catalog import Catalog
from codegen.errors import one_line

_AGG = {"=": "mode", "set": "mode", "insert": "mode", "<": "median", "<=": "median", ">": "min"}
_AGG[">="] = "min"
_BY_TYPE = {
    "int2": "50",
    "int4": "50",
    "int8": "50",
    "numeric": "1",
    "float4": "1",
    "float8": "1",
    "bool": "true",
    "uuid": "gen_random_uuid()",
    "timestamptz": "now()",
    "timestamp": "now()::timestamp",
    "date": "current_date",
    "json": "'{}'",
    "jsonb": "'{}'",
}


@dataclass(frozen=True)
class Binding:
    table: str
    column: str
    op: str  # a comparison operator, "insert" or "set"


@dataclass(frozen=True)
class Finding:
    rule: str  # seq-scan / sort / filter
    text: str


@dataclass(frozen=True)
class Plan:
    mode: str  # custom / generic
    root: dict[str, Any] | None  # EXPLAIN's JSON plan
    analyzed: bool  # ran (EXPLAIN ANALYZE) or only planned, when running failed
    error: str = ""


def bindings(analysis: Analysis) -> dict[int, Binding]:
    """Parameter number -> the column it is first compared with or stored in, as the
    analyzer resolved it (aliases, schemas and the search_path taken into account)."""
    return {b.param: Binding(b.table, b.column, b.op) for b in analysis.uses.bindings}


def _name(table: str) -> str:
    """A catalog key as SQL: `app.items` -> `"app"."items"`."""
    return ".".join('"' + part.replace('"', '""') + '"' for part in table.split(".", 1))


def _literal(value: str, pg_type: str) -> str:
    return "'" + value.replace("'", "''") + "'::" + pg_type


async def _from_data(conn: asyncpg.Connection[Any], b: Binding) -> str | None:
    agg = _AGG.get(b.op)
    if agg is None:
        return None
    col, table = '"' + b.column.replace('"', '""') + '"', _name(b.table)
    if agg == "mode":
        sql = (
            f"SELECT {col}::text FROM {table} WHERE {col} IS NOT NULL "
            "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        )
    elif agg == "median":
        sql = f"SELECT (percentile_disc(0.5) WITHIN GROUP (ORDER BY {col}))::text FROM {table}"
    else:
        sql = f"SELECT min({col})::text FROM {table}"
    try:
        value: str | None = await conn.fetchval(sql)
    except asyncpg.PostgresError:  # a type without ordering or equality: use the type's default
        return None
    return value


def _column_type(b: Binding, catalog: Catalog) -> str | None:
    t = catalog.tables.get(b.table)
    return next((c.type for c in t.columns if c.name == b.column), None) if t else None


def _new_key(b: Binding, catalog: Catalog) -> bool:
    """An INSERT into a key column that is not a foreign key: existing values would conflict."""
    t = catalog.tables.get(b.table)
    if t is None or b.op != "insert" or any(b.column in fk.columns for fk in t.foreign_keys):
        return False
    keys = [t.primary_key, *t.unique] + [
        i.columns for i in catalog.indexes if i.table == t.name and i.unique and not i.partial
    ]
    return any(b.column in key for key in keys)


async def argument(
    conn: asyncpg.Connection[Any], p: ParamInfo, b: Binding | None, catalog: Catalog
) -> str:
    """An SQL expression for parameter `p` (see the module docstring)."""
    if b is not None and _column_type(b, catalog) != p.type.removeprefix("_" if p.is_slice else ""):
        b = None  # matched a same-named column of another table: not this parameter's
    fresh = b is not None and _new_key(b, catalog)
    value = None if b is None or fresh else await _from_data(conn, b)
    if value is not None:
        element = p.type.removeprefix("_") if p.is_slice else p.type
        literal = _literal(value, element)
        return f"ARRAY[{literal}]" if p.is_slice else literal
    if p.nullable:
        return f"NULL::{p.type}"
    by_type = _BY_TYPE.get(p.type)
    if by_type is not None:
        return f"({by_type})::{p.type}"
    if p.type.startswith("_"):
        return f"'{{}}'::{p.type}"
    if p.type in ("text", "varchar", "bpchar", "name", "citext"):
        return f"'x'::{p.type}"
    return f"NULL::{p.type}"


async def _run(conn: asyncpg.Connection[Any], mode: str, call: str, analyze: bool) -> Any:
    tx = conn.transaction()
    await tx.start()
    try:
        await conn.execute(f"SET LOCAL plan_cache_mode = force_{mode}_plan")
        await conn.execute("SET LOCAL statement_timeout = '60s'")
        options = "ANALYZE, FORMAT JSON" if analyze else "FORMAT JSON"
        return await conn.fetchval(f"EXPLAIN ({options}) {call}")
    finally:
        await tx.rollback()


async def _planned_only(conn: asyncpg.Connection[Any], mode: str, call: str, why: str) -> Plan:
    """The plan without running it (running failed, e.g. a constraint); None if even that fails."""
    try:
        raw = await _run(conn, mode, call, analyze=False)
    except asyncpg.PostgresError as exc:
        return Plan(mode, None, False, one_line(str(exc)))
    return Plan(mode, json.loads(raw)[0]["Plan"], False, one_line(why))


PLANNED = frozenset({"select", "insert", "update", "delete"})  # statements with a plan


async def plans(conn: asyncpg.Connection[Any], a: Analysis, catalog: Catalog) -> list[Plan]:
    """The custom and the generic plan of one query, run on the data and rolled back; none
    for a utility statement (a SET LOCAL has no plan)."""
    if a.statement not in PLANNED:
        return []
    bound = bindings(a)
    args = [await argument(conn, p, bound.get(p.number), catalog) for p in a.params]
    types = "(" + ", ".join(p.type for p in a.params) + ")" if a.params else ""
    call = "EXECUTE dba_explain" + ("(" + ", ".join(args) + ")" if args else "")
    await conn.execute(f"PREPARE dba_explain{types} AS {a.query.sql}")
    out = []
    try:
        for mode in ("custom", "generic"):
            try:
                raw = await _run(conn, mode, call, analyze=True)
                out.append(Plan(mode, json.loads(raw)[0]["Plan"], True))
            except asyncpg.PostgresError as exc:
                out.append(await _planned_only(conn, mode, call, str(exc)))
    finally:
        await conn.execute("DEALLOCATE dba_explain")
    return out


def _nodes(node: dict[str, Any]) -> list[dict[str, Any]]:
    out = [node]
    for child in node.get("Plans", ()):
        out += _nodes(child)
    return out


def _rows(node: dict[str, Any]) -> int:
    if "Actual Rows" in node:
        return int(node["Actual Rows"] * node.get("Actual Loops", 1))
    return int(node.get("Plan Rows", 0))


def findings(plan: dict[str, Any], sizes: dict[str, int], large: int) -> list[Finding]:
    """Sequential scans of large tables, sorts of `large` rows or more, and index scans
    whose filter discards a tenth of `large` rows or more, ten times what they return."""
    out: list[Finding] = []
    for node in _nodes(plan):
        kind, rel = node["Node Type"], node.get("Relation Name")
        if kind == "Seq Scan" and rel and sizes.get(rel, 0) >= large:
            out.append(Finding("seq-scan", f"sequential scan of {rel} ({sizes[rel]:,} rows)"))
        if kind in ("Sort", "Incremental Sort") and node.get("Plans"):
            n = _rows(node["Plans"][0])
            if n >= large:
                method = node.get("Sort Method", "")
                out.append(Finding("sort", f"sort of {n:,} rows{f' ({method})' if method else ''}"))
        removed = int(node.get("Rows Removed by Filter", 0) * node.get("Actual Loops", 1))
        if kind != "Seq Scan" and removed >= large // 10 and removed >= 10 * _rows(node):
            where = f"{kind} on {rel}" if rel else kind
            index = f" using {node['Index Name']}" if "Index Name" in node else ""
            text = f"{where}{index} discarded {removed:,} rows by filter to return {_rows(node):,}"
            out.append(Finding("filter", text))
    return out


def render_plan(node: dict[str, Any], depth: int = 0) -> list[str]:
    """A compact plan tree: node, relation, index, actual rows and discarded rows."""
    parts = [node["Node Type"]]
    if "Index Name" in node:
        parts.append(f"using {node['Index Name']}")
    if "Relation Name" in node:
        parts.append(f"on {node['Relation Name']}")
    stats = [f"rows={_rows(node):,}"]
    if depth == 0 and "Actual Total Time" in node:
        stats.append(f"{node['Actual Total Time']:.2f} ms")
    if node.get("Rows Removed by Filter"):
        stats.append(f"removed by filter={int(node['Rows Removed by Filter']):,}")
    for key in ("Index Cond", "Filter", "Sort Key"):
        if key in node:
            value = node[key]
            stats.append(f"{key.lower()}: {', '.join(value) if isinstance(value, list) else value}")
    line = "  " * depth + ("-> " if depth else "") + " ".join(parts) + f" ({'; '.join(stats)})"
    out = [line]
    for child in node.get("Plans", ()):
        out += render_plan(child, depth + 1)
    return out
