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
from pglast.enums import GroupingSetKind, OnConflictAction

from codegen.analyze.context import Typed, sval
from codegen.analyze.model import Col
from codegen.overloads import Choice
from codegen.pgtypes import builtins

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
        "to_regproc",
        "to_regprocedure",
        "to_regoper",
        "to_regoperator",
        "to_regrole",
        "to_regnamespace",
        "to_regcollation",
        "current_setting",  # current_setting(name, missing_ok => true)
        "regexp_substr",
        # the functions behind -> and ->>: NULL for a missing key or element
        "jsonb_object_field",
        "jsonb_object_field_text",
        "json_object_field",
        "json_object_field_text",
        "jsonb_array_element",
        "jsonb_array_element_text",
        "json_array_element",
        "json_array_element_text",
        "jsonb_path_match",  # NULL when the predicate is unknown
        "jsonb_path_exists",  # NULL for a suppressed error (silent => true)
        # set-returning: an array's elements and a JSON null as text may be NULL
        "unnest",
        "jsonb_array_elements_text",
        "json_array_elements_text",
        # PostgreSQL 17: NULL for a UUID of another version or variant, an unknown type
        "uuid_extract_timestamp",
        "uuid_extract_version",
        "to_regtypemod",
    }
)
# Operators that return NULL for a missing key or element, or (jsonpath @? @@) an unknown
# result.
NULL_ON_VALUE_OPS = frozenset({"->", "->>", "#>", "#>>", "@?", "@@"})
# Functions NULL for some values of a range argument: lower('empty'::int4range).
NULL_ON_RANGE = frozenset({"lower", "upper"})
# Non-strict functions that never return NULL.
NEVER_NULL = frozenset(
    {
        "concat",
        "concat_ws",
        "format",
        "num_nulls",
        "num_nonnulls",
        "now",
        "json_build_object",
        "jsonb_build_object",
        "json_build_array",
        "jsonb_build_array",
        # range constructors: a NULL bound is an unbounded one, NULL flags an error
        "int4range",
        "int8range",
        "numrange",
        "tsrange",
        "tstzrange",
        "daterange",
    }
)
# Aggregates that are NULL only over no rows or only NULL input: NOT NULL per group of a
# GROUP BY (a group has a row) when their arguments are NOT NULL and no FILTER drops rows.
GROUPED_NOT_NULL = frozenset(
    {
        "sum",
        "min",
        "max",
        "avg",
        "bool_and",
        "bool_or",
        "every",
        "bit_and",
        "bit_or",
        "bit_xor",
        "array_agg",
        "string_agg",
        "json_agg",
        "jsonb_agg",
    }
)
# Window functions that number or rank rows: never NULL.
WINDOW_NOT_NULL = frozenset(
    {"row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile"}
)
# The columns (name, type, nullable) of built-in functions with OUT parameters, for
# `FROM jsonb_each(doc) AS kv` then `kv.key` (pg_proc.proargnames/proallargtypes; the
# bundled catalog keeps only input arguments). A JSON null is jsonb/json 'null', never SQL
# NULL; the _text variants turn it into SQL NULL.
OUT_COLUMNS: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "jsonb_each": (("key", "text", False), ("value", "jsonb", False)),
    "jsonb_each_text": (("key", "text", False), ("value", "text", True)),
    "json_each": (("key", "text", False), ("value", "json", False)),
    "json_each_text": (("key", "text", False), ("value", "text", True)),
    "jsonb_array_elements": (("value", "jsonb", False),),
    "jsonb_array_elements_text": (("value", "text", True),),
    "json_array_elements": (("value", "json", False),),
    "json_array_elements_text": (("value", "text", True),),
}
# Pseudo-types an untyped argument cannot take its type from.
POLYMORPHIC = frozenset({"any", "anyelement", "anyarray", "anycompatible"})

# SQL-standard functions written without parentheses (CURRENT_DATE, CURRENT_USER, ...);
# CURRENT_SCHEMA is NULL when no schema on the search_path exists.
SVF_NULLABLE = frozenset({"SVFOP_CURRENT_SCHEMA"})
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


def call_nullable(
    name: str, choice: Choice, args: list[Typed], per_group: bool, ranged: bool
) -> bool:
    """Whether a call to `name` (resolved to `choice`) may return NULL; `per_group`: an
    aggregate over one group of a plain GROUP BY, without FILTER (it sees at least a row);
    `ranged`: an argument is a range or multirange (built-in or the user's)."""
    if choice.kind == "a":  # aggregates are NULL over no rows, except count
        if name == "count":
            return False
        grouped = per_group and name in GROUPED_NOT_NULL
        return not (grouped and not any(a.nullable for a in args))
    if choice.kind == "w":
        return name not in WINDOW_NOT_NULL
    if name in NEVER_NULL:
        return False
    if name in NULL_ON_VALUE:
        return True
    if name in NULL_ON_RANGE and ranged:
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


def plain_groups(groups: Sequence[Any]) -> bool:
    """GROUP BY without grouping sets: every output row stands for at least one input row
    (ROLLUP, CUBE, GROUPING SETS and `()` can make a row over no input)."""
    return bool(groups) and not any(isinstance(g, ast.GroupingSet) for g in groups)


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
    without ON CONFLICT or with DO UPDATE (a conflict updates the row or is an error;
    DO NOTHING returns no row)."""
    if isinstance(stmt, ast.InsertStmt):
        values = stmt.selectStmt
        conflict = stmt.onConflictClause
        return (
            # ON CONFLICT DO UPDATE returns the updated row (unless its WHERE skips it).
            (
                conflict is None
                or (
                    conflict.action == OnConflictAction.ONCONFLICT_UPDATE
                    and conflict.whereClause is None
                )
            )
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


def lockstep(cols: list[Col], sets: list[int]) -> list[Col]:
    """Set-returning functions in one select list run in lockstep: when there are several,
    the shorter results are padded with NULLs (PostgreSQL 10 on), so every column that
    calls one may be NULL. `sets[i]`: how many had been called before column i."""
    if sets[-1] - sets[0] < 2:
        return cols
    return [replace(c, nullable=True) if sets[i + 1] > sets[i] else c for i, c in enumerate(cols)]
