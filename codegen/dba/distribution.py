"""The `distribution` vet rule: on a sharded database (Citus), a query that does not pin a
distributed table's distribution column runs on every shard.

`[tool.codegen] distribution = { chats = "account_id", ... }` names each distributed
table's distribution column. A query is single-shard for a table when every occurrence of
it is pinned: its distribution column is equated to a value (a parameter, a constant) or,
through a chain of equalities, to another pinned distribution column (a co-located join,
`m.account_id = c.account_id AND c.account_id = $1`). Equalities count only from top-level
AND-ed conditions of WHERE, JOIN ... ON and JOIN ... USING, and `col = ANY($1)` pins too (a
known set of shards). An INSERT pins when it gives the distribution column a value. Each
subquery and CTE is its own level; a column of an outer query counts as a value inside a
subquery, a column of a subquery in FROM does not. Tables, aliases and equalities are the
analyzer's (`Analysis.uses`), so a CTE is never a table and `shelves` is `app.shelves` when
the search_path says so.
"""

from __future__ import annotations

from codegen.analyze import Analysis
from codegen.analyze.model import Level, Operand, Write
from codegen.catalog import Catalog
from codegen.config import Config
from codegen.dba import settings
from codegen.errors import CodegenError
from codegen.pipeline import Result
from codegen.vet import Finding

RULE = "distribution"
_VALUE = ("value", "")


def _side(operand: Operand) -> tuple[str, str]:
    """(alias, column) for a column of the level, the value marker for anything else."""
    if operand.alias is not None and operand.column is not None:
        return (operand.alias, operand.column)
    return _VALUE


def _pinned(level: Level) -> set[tuple[str, str]]:
    """The level's columns held to one value (or a known set): equated to a value, or
    through a chain of equalities to a pinned column."""
    pairs = [(_side(a), _side(b)) for a, b in level.equalities]
    pinned = {_VALUE}
    changed = True
    while changed:
        changed = False
        for left, right in pairs:
            for a, b in ((left, right), (right, left)):
                if a in pinned and b not in pinned:
                    pinned.add(b)
                    changed = True
    return pinned


def _message(table: str, column: str, what: str) -> str:
    return (
        f"{table} is distributed by {column}, but this query does not {what}"
        f" {table}.{column}: it runs on every shard [{RULE}] (silence: -- vet: ignore {RULE})"
    )


def _insert(write: Write, catalog: Catalog, dist: dict[str, str]) -> str | None:
    """An INSERT gives the distribution column a value: listed, or by its DEFAULT (which
    the coordinator evaluates before routing, in Citus)."""
    column = dist.get(write.table)
    t = catalog.tables.get(write.table)
    given = set(write.columns) | ({c.name for c in t.columns if c.has_default} if t else set())
    return column if column is not None and column not in given else None


def findings(analysis: Analysis, catalog: Catalog, dist: dict[str, str]) -> list[CodegenError]:
    """Where the query touches a distributed table without pinning its distribution column."""
    if not dist or RULE in analysis.query.vet_ignore:
        return []
    out: list[CodegenError] = []
    for write in analysis.uses.writes:
        column = _insert(write, catalog, dist) if write.kind == "insert" else None
        if column is not None:
            msg = _message(write.table, column, "give a value to")
            out.append(analysis.query.error(msg, write.location))
    for level in analysis.uses.levels:
        pinned = _pinned(level)
        for source in level.sources:
            column = dist.get(source.table)
            if column is not None and (source.alias, column) not in pinned:
                msg = _message(source.table, column, "filter on")
                out.append(analysis.query.error(msg, source.location))
    return out


def vet_findings(config: Config, result: Result) -> list[Finding]:
    """The rule for `vet`: every query, against `[tool.codegen] distribution`."""
    dist = settings.load(config).distribution
    if not dist:
        return []
    settings.check_distribution(settings.load(config), result.catalog, config)
    return [
        Finding(RULE, err)
        for analyses in result.files.values()
        for a in analyses
        for err in findings(a, result.catalog, dist)
    ]
