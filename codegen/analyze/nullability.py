"""Nullability rules, and the per-function tables PostgreSQL's catalog does not provide.

`pg_proc` says whether a function is strict (NULL in, NULL out) but not whether it can
return NULL for non-NULL input, nor whether a non-strict one ever returns NULL; those
facts are listed here, in one place, as tables. So are the rules that depend on a
statement's shape: grouping sets, and statements that always return exactly one row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from pglast import ast
from pglast.enums import GroupingSetKind

from codegen.analyze.context import Typed, sval
from codegen.analyze.model import Col
from codegen.pgtypes import Choice, builtins

# Strict functions that still return NULL for some non-NULL inputs.
NULL_ON_VALUE = frozenset(
    {
        "nullif",
        "array_position",
        "array_length",
        "array_lower",
        "array_upper",
        "array_ndims",
        "regexp_match",
        "substring",
        "jsonb_extract_path",
        "jsonb_extract_path_text",
        "json_extract_path",
        "json_extract_path_text",
        "jsonb_path_query_first",
        "to_regclass",
        "to_regtype",
    }
)
# Operators that return NULL for a missing key or element.
NULL_ON_VALUE_OPS = frozenset({"->", "->>", "#>", "#>>"})
# Non-strict functions that never return NULL.
NEVER_NULL = frozenset({"concat", "concat_ws", "format", "num_nulls", "num_nonnulls", "now"})
# Window functions that number or rank rows: never NULL.
WINDOW_NOT_NULL = frozenset(
    {"row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile"}
)
# Set-returning functions accepted in a select list (elsewhere they belong in FROM).
SELECT_LIST_SETS = frozenset(
    {
        "unnest",
        "generate_series",
        "jsonb_array_elements",
        "jsonb_array_elements_text",
        "json_array_elements",
        "jsonb_each",
        "jsonb_object_keys",
    }
)
# Pseudo-types an untyped argument cannot take its type from.
POLYMORPHIC = frozenset({"any", "anyelement", "anyarray", "anycompatible"})

# SQL-standard functions written without parentheses (CURRENT_DATE, CURRENT_USER, ...).
SVF_TYPES = {
    "SVFOP_CURRENT_DATE": "date",
    "SVFOP_CURRENT_TIME": "timetz",
    "SVFOP_CURRENT_TIME_N": "timetz",
    "SVFOP_CURRENT_TIMESTAMP": "timestamptz",
    "SVFOP_CURRENT_TIMESTAMP_N": "timestamptz",
    "SVFOP_LOCALTIME": "time",
    "SVFOP_LOCALTIME_N": "time",
    "SVFOP_LOCALTIMESTAMP": "timestamp",
    "SVFOP_LOCALTIMESTAMP_N": "timestamp",
    "SVFOP_CURRENT_ROLE": "name",
    "SVFOP_CURRENT_USER": "name",
    "SVFOP_USER": "name",
    "SVFOP_SESSION_USER": "name",
    "SVFOP_CURRENT_CATALOG": "name",
    "SVFOP_CURRENT_SCHEMA": "name",
}


def call_nullable(name: str, choice: Choice, args: list[Typed]) -> bool:
    """Whether a call to `name` (resolved to `choice`) may return NULL."""
    if choice.kind == "a":  # aggregates are NULL over no rows, except count
        return name != "count"
    if choice.kind == "w":
        return name not in WINDOW_NOT_NULL
    if name in NEVER_NULL:
        return False
    if name in NULL_ON_VALUE:
        return True
    if choice.strict:
        return any(a.nullable for a in args)
    return True


def is_aggregate(call: ast.FuncCall) -> bool:
    name = sval((call.funcname or ())[-1]).lower()
    funcs = builtins().functions.get(name, ())
    return bool(call.agg_star) or any(f.kind == "a" for f in funcs)


def _aggregate_value(node: ast.Node | None) -> bool:
    """A plain aggregate call (not a window function): one value per group."""
    return isinstance(node, ast.FuncCall) and node.over is None and is_aggregate(node)


def grouping_sets(groups: Sequence[Any], targets: Sequence[Any], cols: list[Col]) -> list[Col]:
    """ROLLUP, CUBE and GROUPING SETS return NULL for what a subtotal row rolls up."""
    if not any(
        isinstance(g, ast.GroupingSet) and g.kind != GroupingSetKind.GROUPING_SET_EMPTY
        for g in groups
    ):
        return cols
    # The target behind each output column; None where a `*` expanded to several.
    behind = list(targets) if len(targets) == len(cols) else [None] * len(cols)
    return [
        c if t is not None and _aggregate_value(t.val) else replace(c, nullable=True)
        for c, t in zip(cols, behind, strict=True)
    ]


def always_one_row(stmt: ast.Node) -> bool:
    """Statements that return exactly one row or fail: `SELECT count(*) FROM ...`
    (aggregates without GROUP BY) and `INSERT ... VALUES (one row) RETURNING ...`
    without ON CONFLICT (a conflict would be an error, not a missing row)."""
    if isinstance(stmt, ast.InsertStmt):
        values = stmt.selectStmt
        return (
            stmt.onConflictClause is None
            and stmt.withClause is None
            and isinstance(values, ast.SelectStmt)
            and values.valuesLists is not None
            and len(values.valuesLists) == 1
        )
    if not isinstance(stmt, ast.SelectStmt) or stmt.op or stmt.valuesLists:
        return False
    if stmt.groupClause or stmt.havingClause or stmt.limitCount or stmt.limitOffset:
        return False
    if stmt.windowClause or not stmt.targetList:
        return False
    return all(_aggregate_value(target.val) for target in stmt.targetList)
