"""Ungrouped columns: in a query with GROUP BY or aggregates, a column used outside an
aggregate must be grouped, or PostgreSQL refuses the statement at PREPARE.

PostgreSQL's rule (parse_agg.c): a column reference outside aggregate arguments is fine
when the expression around it equals a GROUP BY expression, when the column itself is
grouped, or when its table's primary key is grouped (the column depends on it). This
check only refuses what that rule certainly refuses: a column that appears in no GROUP BY
expression at all, of a table whose primary key is not grouped. Anything it does not model
(a subquery, a window function, a call that may be a user's aggregate, a whole row, a
column of an enclosing query) is left alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from pglast import ast

from codegen.analyze import nullability
from codegen.analyze.context import Context, Scope, present, sval
from codegen.catalog import Table
from codegen.catalog.system import system_table
from codegen.pgtypes import builtins

# JSON_OBJECTAGG / JSON_ARRAYAGG (PostgreSQL 16): aggregates with a syntax of their own
JSON_AGGREGATES = (ast.JsonObjectAgg, ast.JsonArrayAgg)


def check(ctx: Context, stmt: ast.SelectStmt, scope: Scope) -> None:
    """Raises at the first column used outside an aggregate that is not grouped."""
    targets = [present(t.val) for t in stmt.targetList or ()]
    groups = list(stmt.groupClause or ())
    having = [stmt.havingClause] if stmt.havingClause is not None else []
    if not groups and not any(_has_aggregate(n) for n in [*targets, *having]):
        return
    items = list(_group_items(groups, stmt.targetList or ()))
    columns = {c for ref in _refs(items) for c in _owners(ref, scope)}
    keyed = {
        e.alias
        for e in scope.entries
        if e.table is not None
        and e.rows  # a table's own rows: not a view, subquery or CTE that selects them
        and (t := _relation(ctx, e.table)) is not None
        and t.primary_key
        and all((e.alias, k) in columns for k in t.primary_key)
    }
    for node in [*targets, *having]:
        bad = _ungrouped(node, scope, columns, keyed)
        if bad is not None:
            raise ctx.error(
                f'column "{".".join(_names(bad))}" must appear in the GROUP BY clause or be '
                "used in an aggregate function",
                bad,
            )


def _relation(ctx: Context, key: str) -> Table | None:
    """A user's relation or a system catalog (whose primary keys the dump records)."""
    cat = ctx.catalog
    return cat.tables.get(key) or system_table(key, cat.extensions, cat.version)


def _group_items(groups: Sequence[Any], targets: Sequence[ast.ResTarget]) -> Iterator[Any]:
    """The expressions grouped by: `GROUP BY 2` and `GROUP BY alias` are select-list items."""
    for g in groups:
        if isinstance(g, ast.GroupingSet):
            yield from _group_items(g.content or (), targets)
        elif isinstance(g, ast.RowExpr):
            yield from _group_items(g.args or (), targets)
        elif isinstance(g, ast.A_Const) and isinstance(g.val, ast.Integer):
            index = (g.val.ival or 0) - 1
            if 0 <= index < len(targets):
                yield present(targets[index].val)
        else:
            named = [t for t in targets if _is_name(g, t.name)]
            yield from (present(t.val) for t in named)
            yield g


def _is_name(node: Any, name: str | None) -> bool:
    return (
        name is not None
        and isinstance(node, ast.ColumnRef)
        and len(present(node.fields)) == 1
        and _names(node) == [name]
    )


def _ungrouped(
    node: Any, scope: Scope, columns: set[tuple[str, str]], keyed: set[str]
) -> ast.ColumnRef | None:
    """The first column reference under `node` that is neither grouped nor aggregated."""
    for ref in _refs(node, skip_calls=True):
        owners = _owners(ref, scope)
        if owners and not any(c in columns or c[0] in keyed for c in owners):
            return ref
    return None


def _refs(node: Any, skip_calls: bool = False) -> Iterator[ast.ColumnRef]:
    """Column references under `node`, outside subqueries; `skip_calls`: and outside
    aggregates, window functions and calls that may be a user's aggregate."""
    if isinstance(node, (list, tuple)):
        for item in node:
            yield from _refs(item, skip_calls)
        return
    if not isinstance(node, ast.Node) or isinstance(node, ast.SubLink):
        return
    if isinstance(node, ast.ColumnRef):
        yield node
        return
    if skip_calls and isinstance(node, ast.FuncCall) and not _plain_call(node):
        return
    if skip_calls and isinstance(node, JSON_AGGREGATES):
        return
    for name in getattr(type(node), "__slots__", ()):
        yield from _refs(getattr(node, name, None), skip_calls)


def _plain_call(call: ast.FuncCall) -> bool:
    """A built-in function called as a function: not an aggregate, window or unknown."""
    name = sval((call.funcname or ())[-1]).lower()
    known = name in builtins().functions
    return known and call.over is None and not nullability.is_aggregate(call)


def _owners(ref: ast.ColumnRef, scope: Scope) -> list[tuple[str, str]]:
    """The (FROM alias, column) pairs of this query level a reference may name; empty for
    a whole row or a column of an enclosing query (not checked)."""
    fields = present(ref.fields)
    if not all(isinstance(f, ast.String) for f in fields):
        return []
    names = _names(ref)
    qual = names[-2] if len(names) > 1 else None
    return [
        (e.alias, names[-1])
        for e in scope.entries
        if (qual is None or e.alias == qual) and any(c.name == names[-1] for c in e.cols)
    ]


def _names(ref: ast.ColumnRef) -> list[str]:
    return [sval(f) for f in present(ref.fields) if isinstance(f, ast.String)]


def _has_aggregate(node: Any) -> bool:
    """An aggregate call of this query level (not inside a subquery)."""
    if isinstance(node, (list, tuple)):
        return any(_has_aggregate(n) for n in node)
    if not isinstance(node, ast.Node) or isinstance(node, ast.SubLink):
        return False
    if isinstance(node, ast.FuncCall) and node.over is None and nullability.is_aggregate(node):
        return True
    if isinstance(node, JSON_AGGREGATES) and present(node.constructor).over is None:
        return True
    return any(_has_aggregate(getattr(node, n, None)) for n in getattr(type(node), "__slots__", ()))
