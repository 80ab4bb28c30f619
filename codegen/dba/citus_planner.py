"""Citus's own planner on every query: `EXPLAIN` on a real Citus coordinator (the
migrations applied) classifies each query of the analyzer's results (`codegen.dba.routing`
has the classes and the file they are recorded in).

Each query is prepared as the generated code sends it and explained with sample arguments
(a custom plan: Citus prunes shards by the values). The plan's Citus scans give the Task
Count; a router query is explained again with each uuid parameter changed to a value of
another shard: the parameters that move the task to another shard are the ones that pin
it. A key from a column default (evaluated on the coordinator) moves between two
explains of the same arguments: pinned by none of them. A utility statement (SET LOCAL)
has no plan: it runs on the coordinator (`coordinator`), which sends it on to the workers
a transaction touches when citus.propagate_set_commands is 'local'.
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeAlias

import asyncpg

from codegen import citus, dbutil
from codegen.analyze import Analysis
from codegen.catalog import Catalog
from codegen.dba.explain import PLANNED
from codegen.dba.routing import Route, sql_sha256
from codegen.errors import CodegenError

Conn: TypeAlias = "asyncpg.Connection[Any]"
KEY_A = "00000000-0000-4000-8000-000000000001"
_SAMPLES = {
    "int2": "1", "int4": "1", "int8": "1", "numeric": "1", "float8": "1", "bool": "true",
    "text": "'x'", "varchar": "'x'", "timestamptz": "now()", "jsonb": "'{}'", "json": "'{}'",
}  # fmt: skip
_SHARD = re.compile(r'"Relation Name": "\w+?_(\d+)"')


def _literal(ptype: str, uuid: str) -> str:
    if ptype == "uuid":
        return f"'{uuid}'::uuid"
    if ptype.startswith("_"):
        return f"ARRAY[{_literal(ptype[1:], uuid)}]::{ptype[1:]}[]"
    return f"{_SAMPLES.get(ptype, 'NULL')}::{ptype}"


async def _explain(conn: Conn, a: Analysis, uuids: dict[int, str]) -> Any:
    args = ", ".join(_literal(p.type, uuids.get(p.number, KEY_A)) for p in a.params)
    sql = "EXPLAIN (FORMAT JSON) EXECUTE routing_q" + (f"({args})" if args else "")
    return json.loads(await conn.fetchval(sql))


def _citus_scans(node: Any) -> list[Any]:
    if isinstance(node, dict):
        found = [node] if "Distributed Query" in node else []
        return found + [s for v in node.values() for s in _citus_scans(v)]
    if isinstance(node, list):
        return [s for v in node for s in _citus_scans(v)]
    return []


def _tasks(plan: Any) -> int:
    return max((s["Distributed Query"]["Job"]["Task Count"] for s in _citus_scans(plan)), default=0)


def _shards(plan: Any) -> set[str]:
    return set(_SHARD.findall(json.dumps(plan)))


async def other_shard_key(conn: Conn, table: str) -> str:
    """A uuid whose shard of `table` is not KEY_A's."""
    shard = "SELECT get_shard_id_for_distribution_column($1, $2::uuid)"
    mine = await conn.fetchval(shard, table, KEY_A)
    for n in range(2, 1000):
        key = f"00000000-0000-4000-8000-{n:012d}"
        if await conn.fetchval(shard, table, key) != mine:
            return key
    raise RuntimeError(f"every key falls in one shard of {table}")


async def _pins(conn: Conn, a: Analysis, plan: Any, other: str) -> list[str] | None:
    """The uuid parameters that move the task to another shard; None when the same
    arguments already land on different shards (a key from a column default)."""
    base = _shards(plan)
    if _shards(await _explain(conn, a, {})) != base:
        return None
    return [
        p.name
        for p in a.params
        if p.type == "uuid" and _shards(await _explain(conn, a, {p.number: other})) != base
    ]


async def judge(conn: Conn, a: Analysis, kinds: dict[str, str], other: str) -> Route:
    """The route of one query; `kinds` maps each shard id to its table's Citus kind
    ('distributed' or 'reference')."""
    sha = sql_sha256(a)
    if a.statement not in PLANNED:
        return Route("coordinator", sha, detail=f"{a.statement}: a utility statement, no plan")
    try:
        async with conn.transaction():  # rolled back: nothing is written (EXPLAIN only)
            await conn.execute(f"PREPARE routing_q AS {a.sql}")
            plan = await _explain(conn, a, {})
            route = await _classify(conn, a, plan, kinds, other, sha)
            raise _Undo(route)
    except _Undo as undo:
        return undo.route
    except asyncpg.PostgresError as exc:
        return Route("refused", sha, detail=str(exc).splitlines()[0])
    finally:
        await conn.execute("DEALLOCATE ALL")


class _Undo(Exception):
    def __init__(self, route: Route) -> None:
        self.route = route


async def _classify(
    conn: Conn,
    a: Analysis,
    plan: Any,
    kinds: dict[str, str],
    other: str,
    sha: str,
) -> Route:
    """The class from the plan: the shards its Citus scan reads (one task shown) say
    which kinds of table it touches, the Task Count how many shards."""
    tasks = _tasks(plan)
    touched = {kinds.get(shard) for shard in _shards(plan)}
    if "distributed" not in touched:
        klass = "reference" if "reference" in touched else "coordinator"
        return Route(klass, sha, tasks=tasks)
    if tasks != 1:
        return Route("multi-shard", sha, tasks=tasks)
    pins = await _pins(conn, a, plan, other)
    return Route("router", sha, pinned_by=pins or [], tasks=1)


async def citus_kinds(conn: Conn) -> dict[str, str]:
    """shard id -> 'distributed' / 'reference' (by its table), and the distributed tables
    by name under 'table:<name>'."""
    rows = await conn.fetch(
        "SELECT s.shardid::text, t.citus_table_type, t.table_name::text"
        " FROM pg_dist_shard s JOIN citus_tables t ON t.table_name = s.logicalrelid"
    )
    kinds = {r[0]: r[1] for r in rows}
    return kinds | {f"table:{r[2]}": r[1] for r in rows}


async def judge_all(
    dsn: str, files: dict[str, list[Analysis]], catalog: Catalog
) -> dict[str, Route]:
    """Every query's route on the Citus coordinator at `dsn`."""
    conn = await asyncpg.connect(dsn, statement_cache_size=0)  # DEALLOCATE ALL is ours
    try:
        kinds = await citus_kinds(conn) if await citus.installed(conn) else {}
        if not any(k == "distributed" for k in kinds.values()):
            raise CodegenError(
                f"routing: {dbutil.redact_dsn(dsn)} has no distributed table: name a Citus "
                "coordinator with the migrations applied"
            )
        anchor = next(
            t.removeprefix("table:")
            for t, k in sorted(kinds.items())
            if t.startswith("table:") and k == "distributed"
        )
        other = await other_shard_key(conn, anchor)
        return {
            a.query.name: await judge(conn, a, kinds, other)
            for analyses in files.values()
            for a in analyses
        }
    finally:
        await conn.close()
