"""The name PostgreSQL gives an unaliased output column (its FigureColname).

`SELECT count(*)` is named `count`, `SELECT x::int` is `x`, `SELECT 1` is `?column?`; the
generated row classes use these names, so they must match what the server reports.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pglast import ast
from pglast.enums import A_Expr_Kind, JsonExprOp, MinMaxOp, SQLValueFunctionOp, SubLinkType

from codegen.analyze.context import present, sval

UNNAMED = "?column?"


def _indirection(node: Any) -> str:
    """The last field name selected (`(f()).id[1]` -> id), else the argument's name."""
    names = [str(i.sval) for i in node.indirection or () if isinstance(i, ast.String)]
    return names[-1] if names else column_name(node.arg)


def column_name(node: ast.Node) -> str:
    namer = _NAMERS.get(type(node))
    return namer(node) if namer is not None else UNNAMED


def _column_ref(node: ast.ColumnRef) -> str:
    last = present(node.fields)[-1]
    return sval(last) if isinstance(last, ast.String) else UNNAMED


def _type_cast(node: ast.TypeCast) -> str:
    inner = column_name(present(node.arg))
    if inner == UNNAMED:
        return sval(present(present(node.typeName).names)[-1])
    return inner


def _sublink(node: ast.SubLink) -> str:
    if node.subLinkType == SubLinkType.EXISTS_SUBLINK:
        return "exists"
    if node.subLinkType == SubLinkType.ARRAY_SUBLINK:
        return "array"
    if node.subLinkType == SubLinkType.EXPR_SUBLINK:
        select = present(node.subselect)
        inner = select.targetList if isinstance(select, ast.SelectStmt) else None
        if inner and len(inner) == 1:
            return str(inner[0].name or column_name(inner[0].val))
    return UNNAMED


def _a_expr(node: ast.A_Expr) -> str:
    return "nullif" if node.kind == A_Expr_Kind.AEXPR_NULLIF else UNNAMED


_NAMERS: dict[type[ast.Node], Callable[[Any], str]] = {
    ast.ColumnRef: _column_ref,
    ast.FuncCall: lambda n: sval(n.funcname[-1]),
    ast.TypeCast: _type_cast,
    ast.CoalesceExpr: lambda n: "coalesce",
    ast.CaseExpr: lambda n: "case",
    ast.MinMaxExpr: lambda n: "greatest" if n.op == MinMaxOp.IS_GREATEST else "least",
    ast.A_Expr: _a_expr,
    ast.SubLink: _sublink,
    ast.A_ArrayExpr: lambda n: "array",
    ast.A_Indirection: lambda n: _indirection(n),
    ast.SQLValueFunction: lambda n: SQLValueFunctionOp(n.op).name.removeprefix("SVFOP_").lower(),
    # PostgreSQL 16-18: merge_action() and the SQL/JSON constructors and functions
    ast.MergeSupportFunc: lambda n: "merge_action",
    ast.JsonObjectConstructor: lambda n: "json_object",
    ast.JsonArrayConstructor: lambda n: "json_array",
    ast.JsonArrayQueryConstructor: lambda n: "json_array",
    ast.JsonObjectAgg: lambda n: "json_objectagg",
    ast.JsonArrayAgg: lambda n: "json_arrayagg",
    ast.JsonParseExpr: lambda n: "json",
    ast.JsonScalarExpr: lambda n: "json_scalar",
    ast.JsonSerializeExpr: lambda n: "json_serialize",
    ast.JsonFuncExpr: lambda n: JsonExprOp(n.op).name.removesuffix("_OP").lower(),
}
