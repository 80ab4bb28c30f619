"""SQL/JSON (PostgreSQL 16-18): constructors, `IS JSON`, the query functions and JSON_TABLE.

The constructors `JSON_OBJECT`, `JSON_ARRAY`, `JSON_OBJECTAGG`, `JSON_ARRAYAGG` (16) return
json unless `RETURNING` names another type; `JSON()`, `JSON_SCALAR()` (17) return json,
`JSON_SERIALIZE()` text (or its RETURNING type); `JSON_QUERY` jsonb, `JSON_VALUE` text,
`JSON_EXISTS` bool (17), each unless RETURNING says; `x IS JSON [VALUE|OBJECT|ARRAY|SCALAR]`
(16) is a bool, NULL when x is. `JSON_TABLE` (17) in FROM has the columns its COLUMNS
clause declares, nested paths' included. A target before the major that added one is
refused naming it (`versions.SYNTAX`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pglast import ast
from pglast.enums import JsonExprOp, JsonTableColumnType

from codegen import catalog as cat
from codegen import versions
from codegen.analyze import expressions, statements
from codegen.analyze.context import BOOL, Context, Entry, Scope, Typed, present, subquery
from codegen.analyze.model import Col

TEXT = Typed("text", False)


# `want` (what the context expects: `expressions.Want`) is not needed by these rules.


def require(ctx: Context, what: str, node: ast.Node) -> None:
    if (refusal := versions.needs(what, ctx.types.version)) is not None:
        raise ctx.error(refusal, node)


def _returning(ctx: Context, output: Any, default: str) -> str:
    """The type a `RETURNING type` clause names, else `default`."""
    if output is None or output.typeName is None:
        return default
    return cat.type_name(output.typeName, ctx.types, ctx.type_source)


def _value(ctx: Context, node: Any, scope: Scope, expect: Typed | None = None) -> Typed:
    """A JsonValueExpr's expression (`x FORMAT JSON`), or a plain expression."""
    inner = node.raw_expr if isinstance(node, ast.JsonValueExpr) else node
    return expressions.expr(ctx, present(inner), scope, expect)


def object_constructor(
    ctx: Context, node: ast.JsonObjectConstructor, scope: Scope, want: object = None
) -> Typed:
    require(ctx, "JSON_OBJECT()", node)
    for kv in node.exprs or ():
        expressions.expr(ctx, present(kv.key), scope, TEXT)
        _value(ctx, kv.value, scope)
    return Typed(_returning(ctx, node.output, "json"), False)


def array_constructor(
    ctx: Context, node: ast.JsonArrayConstructor, scope: Scope, want: object = None
) -> Typed:
    require(ctx, "JSON_ARRAY()", node)
    for item in node.exprs or ():
        _value(ctx, item, scope)
    return Typed(_returning(ctx, node.output, "json"), False)


def array_query(
    ctx: Context, node: ast.JsonArrayQueryConstructor, scope: Scope, want: object = None
) -> Typed:
    """JSON_ARRAY(SELECT x ...): the one column's values as an array."""
    require(ctx, "JSON_ARRAY()", node)
    cols = statements.select(ctx, subquery(node.query), scope.child())
    if len(cols) != 1:
        raise ctx.error("JSON_ARRAY(SELECT ...) needs a subquery of one column", node)
    return Typed(_returning(ctx, node.output, "json"), False)


def aggregate(
    ctx: Context, node: ast.JsonObjectAgg | ast.JsonArrayAgg, scope: Scope, want: object = None
) -> Typed:
    """JSON_OBJECTAGG(k: v) / JSON_ARRAYAGG(v): NULL over no rows."""
    is_object = isinstance(node, ast.JsonObjectAgg)
    ctor = present(node.constructor)
    require(ctx, "JSON_OBJECTAGG()" if is_object else "JSON_ARRAYAGG()", ctor)
    if isinstance(node, ast.JsonObjectAgg):
        kv = present(node.arg)
        expressions.expr(ctx, present(kv.key), scope, TEXT)
        _value(ctx, kv.value, scope)
    else:
        _value(ctx, node.arg, scope)
    if ctor.agg_filter is not None:
        expressions.expr(ctx, ctor.agg_filter, scope, BOOL)
    for sort in ctor.agg_order or ():
        expressions.expr(ctx, present(sort.node), scope)
    return Typed(_returning(ctx, ctor.output, "json"), True)


def parse_expr(ctx: Context, node: ast.JsonParseExpr, scope: Scope, want: object = None) -> Typed:
    require(ctx, "JSON()", node)
    arg = _value(ctx, node.expr, scope, TEXT)
    return Typed(_returning(ctx, node.output, "json"), arg.nullable)


def scalar_expr(ctx: Context, node: ast.JsonScalarExpr, scope: Scope, want: object = None) -> Typed:
    require(ctx, "JSON_SCALAR()", node)
    arg = expressions.expr(ctx, present(node.expr), scope)
    return Typed(_returning(ctx, node.output, "json"), arg.nullable)


def serialize_expr(
    ctx: Context, node: ast.JsonSerializeExpr, scope: Scope, want: object = None
) -> Typed:
    require(ctx, "JSON_SERIALIZE()", node)
    arg = _value(ctx, node.expr, scope)
    return Typed(_returning(ctx, node.output, "text"), arg.nullable)


_FUNC_TYPES = {
    JsonExprOp.JSON_EXISTS_OP: ("JSON_EXISTS()", "bool"),
    JsonExprOp.JSON_QUERY_OP: ("JSON_QUERY()", "jsonb"),
    JsonExprOp.JSON_VALUE_OP: ("JSON_VALUE()", "text"),
}


def func_expr(ctx: Context, node: ast.JsonFuncExpr, scope: Scope, want: object = None) -> Typed:
    """JSON_EXISTS / JSON_QUERY / JSON_VALUE (ctx, path [PASSING ...] [RETURNING t]): NULL
    when the path finds nothing (or on an error, by default)."""
    what, default = _FUNC_TYPES[JsonExprOp(present(node.op))]
    require(ctx, what, node)
    _value(ctx, node.context_item, scope)
    expressions.expr(ctx, present(node.pathspec), scope, TEXT)
    for arg in node.passing or ():
        _value(ctx, arg.val, scope)
    return Typed(_returning(ctx, node.output, default), True)


def is_json(ctx: Context, node: ast.JsonIsPredicate, scope: Scope, want: object = None) -> Typed:
    require(ctx, "IS JSON", node)
    arg = expressions.expr(ctx, present(node.expr), scope)
    return Typed("bool", arg.nullable)


def json_table(ctx: Context, item: ast.JsonTable, scope: Scope) -> Entry:
    """`JSON_TABLE(ctx, path [PASSING ...] COLUMNS (...)) AS t`: its declared columns."""
    require(ctx, "JSON_TABLE", item)
    _value(ctx, item.context_item, scope)
    for arg in item.passing or ():
        _value(ctx, arg.val, scope)
    cols = _columns(ctx, item.columns or (), nested=False)
    alias = present(item.alias.aliasname) if item.alias else "json_table"
    return Entry(alias, cols)


def _columns(ctx: Context, columns: Any, nested: bool) -> list[Col]:
    """Each column as declared: FOR ORDINALITY is int4 (NULL only in a nested path's rows,
    which are NULL-padded for their siblings); the others are NULL where the path finds
    nothing."""
    out: list[Col] = []
    for col in columns:
        kind = JsonTableColumnType(col.coltype)
        if kind == JsonTableColumnType.JTC_NESTED:
            out += _columns(ctx, col.columns or (), nested=True)
        elif kind == JsonTableColumnType.JTC_FOR_ORDINALITY:
            out.append(Col(col.name, "int4", nested))
        else:
            out.append(Col(col.name, cat.type_name(col.typeName, ctx.types, ctx.type_source), True))
    return out


# The expression rules `expressions.RULES` takes from here, by node class.
RULES: dict[type[ast.Node], Callable[[Context, Any, Scope, Any], Typed]] = {
    ast.JsonObjectConstructor: object_constructor,
    ast.JsonArrayConstructor: array_constructor,
    ast.JsonArrayQueryConstructor: array_query,
    ast.JsonObjectAgg: aggregate,
    ast.JsonArrayAgg: aggregate,
    ast.JsonParseExpr: parse_expr,
    ast.JsonScalarExpr: scalar_expr,
    ast.JsonSerializeExpr: serialize_expr,
    ast.JsonFuncExpr: func_expr,
    ast.JsonIsPredicate: is_json,
}
