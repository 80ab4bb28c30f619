"""The `distribution` vet rule: on a sharded database (Citus), a query that does not pin a
distributed table's distribution column runs on every shard.

`[tool.codegen] distribution = { chats = "account_id", ... }` names each distributed
table's distribution column. A query is single-shard for a table when every occurrence of
it is pinned: its distribution column is equated to a value (a parameter, a constant) or,
through a chain of equalities, to another pinned distribution column (a co-located join,
`m.account_id = c.account_id AND c.account_id = $1`). Equalities count only from top-level
AND-ed conditions of WHERE and JOIN ... ON, and `col = ANY($1)` pins too (a known set of
shards). An INSERT pins when it gives the distribution column a value. Each subquery and
CTE is its own level; a column of an outer query counts as a value inside a subquery.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pglast import ast as _ast
from pglast import enums

from codegen.analyze import Analysis
from codegen.catalog import Catalog
from codegen.config import Config
from codegen.dba import settings
from codegen.dba.relations import children
from codegen.errors import CodegenError
from codegen.pipeline import Result
from codegen.vet import Finding

ast: Any = _ast

RULE = "distribution"
_VALUE = ("value", "")


@dataclass
class _Level:
    """One query level: FROM entries (alias -> table) and its equality conjuncts."""

    entries: dict[str, str] = field(default_factory=dict)
    offsets: dict[str, int] = field(default_factory=dict)  # alias -> location in the SQL
    pairs: list[tuple[tuple[str, str], tuple[str, str]]] = field(default_factory=list)


def _conjuncts(node: Any) -> list[Any]:
    if isinstance(node, ast.BoolExpr) and node.boolop == enums.BoolExprType.AND_EXPR:
        return [c for arg in node.args for c in _conjuncts(arg)]
    return [node] if node is not None else []


def _has_column(node: Any) -> bool:
    if isinstance(node, ast.ColumnRef):
        return True
    if isinstance(node, (ast.SubLink, ast.SelectStmt)):
        return True  # a subquery is not a single known value
    return any(_has_column(c) for c in children(node))


class _Checker:
    def __init__(self, catalog: Catalog, dist: dict[str, str], analysis: Analysis) -> None:
        self.catalog, self.dist, self.a = catalog, dist, analysis
        self.findings: list[CodegenError] = []

    def side(self, node: Any, level: _Level) -> tuple[str, str] | None:
        """(alias, column) for a column of this level, the value marker, or None."""
        while isinstance(node, ast.TypeCast):
            node = node.arg
        if isinstance(node, ast.ColumnRef) and isinstance(node.fields[-1], ast.String):
            names = [f.sval for f in node.fields if isinstance(f, ast.String)]
            if len(names) >= 2:
                return (names[-2], names[-1]) if names[-2] in level.entries else _VALUE
            owners = [
                alias
                for alias, table in level.entries.items()
                if table in self.catalog.tables
                and any(c.name == names[-1] for c in self.catalog.tables[table].columns)
            ]
            return (owners[0], names[-1]) if len(owners) == 1 else _VALUE
        return None if _has_column(node) else _VALUE

    def equalities(self, condition: Any, level: _Level) -> None:
        for c in _conjuncts(condition):
            if not isinstance(c, ast.A_Expr) or not c.name or c.name[-1].sval != "=":
                continue
            left, right = self.side(c.lexpr, level), self.side(c.rexpr, level)
            if left is not None and right is not None:
                level.pairs.append((left, right))

    def check(self, level: _Level) -> None:
        pinned = {_VALUE}
        changed = True
        while changed:
            changed = False
            for left, right in level.pairs:
                for a, b in ((left, right), (right, left)):
                    if a in pinned and b not in pinned:
                        pinned.add(b)
                        changed = True
        for alias, table in level.entries.items():
            column = self.dist.get(table)
            if column is not None and (alias, column) not in pinned:
                self.report(table, column, level.offsets.get(alias))

    def report(self, table: str, column: str, offset: int | None, what: str = "filter on") -> None:
        msg = (
            f"{table} is distributed by {column}, but this query does not {what}"
            f" {table}.{column}: it runs on every shard [{RULE}] (silence: -- vet: ignore {RULE})"
        )
        self.findings.append(self.a.query.error(msg, offset))

    # -- walking --------------------------------------------------------------
    def stmt(self, node: Any) -> None:
        with_clause = getattr(node, "withClause", None)
        for cte in with_clause.ctes if with_clause is not None else ():
            self.stmt(cte.ctequery)
        if isinstance(node, ast.SelectStmt) and node.larg is not None:
            self.stmt(node.larg)
            self.stmt(node.rarg)
        elif isinstance(node, ast.InsertStmt):
            self.insert(node)
        elif isinstance(node, (ast.SelectStmt, ast.UpdateStmt, ast.DeleteStmt)):
            self.level(node)

    def insert(self, node: Any) -> None:
        table = node.relation.relname
        column = self.dist.get(table)
        t = self.catalog.tables.get(table)
        # no column list: every column gets a value; a DEFAULT is evaluated by the
        # coordinator before routing (Citus), so it pins the shard too
        given = (
            {c.name for c in node.cols}
            if node.cols
            else {c.name for c in t.columns}
            if t
            else set()
        )
        given |= {c.name for c in t.columns if c.has_default} if t else set()
        if column is not None and column not in given:
            self.report(table, column, node.relation.location, "give a value to")
        if node.selectStmt is not None:
            self.stmt(node.selectStmt)

    def level(self, node: Any) -> None:
        level = _Level()
        relation = getattr(node, "relation", None)
        if relation is not None:  # UPDATE / DELETE target
            self.entry(relation, level)
        items = list(getattr(node, "fromClause", None) or ()) + list(
            getattr(node, "usingClause", None) or ()
        )
        for item in items:
            self.from_item(item, level)
        self.equalities(node.whereClause, level)
        self.check(level)
        self.nested(node)

    def entry(self, rv: Any, level: _Level) -> None:
        alias = rv.alias.aliasname if rv.alias else rv.relname
        level.entries[alias] = rv.relname
        level.offsets[alias] = rv.location

    def from_item(self, item: Any, level: _Level) -> None:
        if isinstance(item, ast.RangeVar):
            self.entry(item, level)
        elif isinstance(item, ast.JoinExpr):
            self.from_item(item.larg, level)
            self.from_item(item.rarg, level)
            self.equalities(item.quals, level)  # co-located joins pin through ON
        elif isinstance(item, ast.RangeSubselect):
            self.stmt(item.subquery)

    def nested(self, node: Any) -> None:
        """Subqueries anywhere below this level, each checked as a level of its own."""
        for child in children(node):
            if isinstance(child, ast.SubLink):
                self.stmt(child.subselect)
            elif not isinstance(child, (ast.RangeSubselect, ast.WithClause)):
                self.nested(child)


def findings(analysis: Analysis, catalog: Catalog, dist: dict[str, str]) -> list[CodegenError]:
    """Where the query touches a distributed table without pinning its distribution column."""
    if not dist or RULE in analysis.query.vet_ignore:
        return []
    checker = _Checker(catalog, dist, analysis)
    checker.stmt(analysis.query.stmt)
    return checker.findings


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
