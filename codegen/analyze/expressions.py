"""Expression typing: one rule per pglast node class, looked up in a table.

As sqlglot's `annotate_types` keeps a table of rules keyed by expression type, `RULES` maps
each node class the analyzer understands to the function that types it; `expr` looks the
class up and reports anything else as an error naming the node, never a silent `Any`.
Operators live in `operators`, function calls in `functions`, parameters in `params`.

`Want` carries what the surrounding context says about the value: the type it goes into
(which types an untyped literal or parameter), a name for a positional parameter, and
whether a set-returning function is allowed here (FROM).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pglast import ast
from pglast.enums import SQLValueFunctionOp, SubLinkType, XmlExprOp

from codegen import catalog as cat
from codegen.analyze import (
    fields,
    functions,
    merge,
    nullability,
    operators,
    params,
    sqljson,
    statements,
    uses,
)
from codegen.analyze import scope as sc
from codegen.analyze.context import (
    BOOL,
    Context,
    Scope,
    Typed,
    present,
    set_functions,
    subquery,
    sval,
)
from codegen.analyze.nullability import SVF_TYPES


@dataclass(frozen=True)
class Want:
    expect: Typed | None = None  # the type the value goes into, if the context says
    hint: str | None = None  # a name for a positional parameter placed here
    allow_set: bool = False  # a set-returning function is allowed (FROM)


N = TypeVar("N", bound=ast.Node)
Rule = Callable[[Context, Any, Scope, Want], Typed]
RULES: dict[type[ast.Node], Rule] = {}


def rule(cls: type[N]) -> Callable[[Callable[[Context, N, Scope, Want], Typed]], Rule]:
    """Registers the typing rule for node class `cls`."""

    def register(fn: Callable[[Context, N, Scope, Want], Typed]) -> Rule:
        RULES[cls] = fn
        return fn

    return register


def expr(
    ctx: Context,
    node: ast.Node,
    scope: Scope,
    expect: Typed | None = None,
    hint: str | None = None,
    allow_set: bool = False,
) -> Typed:
    """The type and nullability of `node`; types untyped parameters it contains."""
    typing_rule = RULES.get(type(node))
    if typing_rule is None:
        raise ctx.unsupported(
            f"cannot infer the type of {type(node).__name__}; add a cast such as ::text", node
        )
    return typing_rule(ctx, node, scope, Want(expect, hint, allow_set))


@rule(ast.ParamRef)
def _param(ctx: Context, node: ast.ParamRef, scope: Scope, want: Want) -> Typed:
    return params.param(ctx, node, want.expect, want.hint)


@rule(ast.ColumnRef)
def _column(ctx: Context, node: ast.ColumnRef, scope: Scope, want: Want) -> Typed:
    return sc.column(ctx, node, scope)


@rule(ast.MergeSupportFunc)
def _merge_action(ctx: Context, node: ast.MergeSupportFunc, scope: Scope, want: Want) -> Typed:
    return merge.merge_action(ctx, node)


RULES.update(sqljson.RULES)  # SQL/JSON (PostgreSQL 16-18)


@rule(ast.A_Const)
def _const(ctx: Context, node: ast.A_Const, scope: Scope, want: Want) -> Typed:
    """Numbers and booleans have a type; a string literal or NULL takes the expected one."""
    expect = want.expect
    if node.isnull:
        return Typed(expect.type if expect else None, True)
    val = node.val
    if isinstance(val, ast.Integer):
        return Typed("int4", False)
    if isinstance(val, ast.Float):
        text = present(val.fval)
        if "." not in text and "e" not in text.lower():
            return Typed("int8" if abs(int(text)) < 2**63 else "numeric", False)
        return Typed("numeric", False)
    if isinstance(val, ast.Boolean):
        return Typed("bool", False)
    if isinstance(val, ast.BitString):
        return Typed("bit", False)
    return Typed(expect.type if expect and expect.type else None, False)


@rule(ast.TypeCast)
def _type_cast(ctx: Context, node: ast.TypeCast, scope: Scope, want: Want) -> Typed:
    target = cat.type_name(node.typeName, ctx.types, ctx.type_source)
    ctx.used.add(("type", target))
    inner = expr(ctx, present(node.arg), scope, Typed(target, False), hint=want.hint)
    literal = isinstance(node.arg, ast.A_Const)  # converted as it is parsed: no call left
    if inner.type and not literal and ctx.types.cast_mutable(inner.type, target):
        ctx.mutable.add(f"the cast from {inner.type} to {target}")
    return Typed(target, inner.nullable)


@rule(ast.A_Expr)
def _a_expr(ctx: Context, node: ast.A_Expr, scope: Scope, want: Want) -> Typed:
    typed = operators.a_expr(ctx, node, scope, want.expect, want.hint)
    uses.comparison(ctx, node, scope)
    return typed


@rule(ast.BoolExpr)
def _bool_expr(ctx: Context, node: ast.BoolExpr, scope: Scope, want: Want) -> Typed:
    args = [expr(ctx, a, scope, BOOL) for a in node.args or ()]
    return Typed("bool", any(a.nullable for a in args))


@rule(ast.NullTest)
def _null_test(ctx: Context, node: ast.NullTest, scope: Scope, want: Want) -> Typed:
    expr(ctx, present(node.arg), scope)
    return BOOL


@rule(ast.BooleanTest)
def _boolean_test(ctx: Context, node: ast.BooleanTest, scope: Scope, want: Want) -> Typed:
    expr(ctx, present(node.arg), scope, BOOL)
    return BOOL


@rule(ast.FuncCall)
def _func_call(ctx: Context, node: ast.FuncCall, scope: Scope, want: Want) -> Typed:
    typed = functions.call(ctx, node, scope, want.expect, want.allow_set)
    uses.call(ctx, node)
    return typed


@rule(ast.CoalesceExpr)
def _coalesce(ctx: Context, node: ast.CoalesceExpr, scope: Scope, want: Want) -> Typed:
    with set_functions(scope, "in COALESCE"):
        return common(ctx, node.args or (), scope, want.expect, all_null=True, node=node)


@rule(ast.MinMaxExpr)
def _min_max(ctx: Context, node: ast.MinMaxExpr, scope: Scope, want: Want) -> Typed:
    return common(ctx, node.args or (), scope, want.expect, all_null=True, node=node)


def common(
    ctx: Context,
    args: Sequence[Any],
    scope: Scope,
    expect: Typed | None,
    all_null: bool,
    node: ast.Node,
) -> Typed:
    """Values that resolve to one common type (COALESCE, GREATEST, CASE results);
    `all_null`: NULL only when every value is (COALESCE), else when any is. As
    PostgreSQL's select_common_type: values of no type at all (parameters, quoted
    literals, NULL) resolve to text whatever the surroundings expect."""
    typed = [expr(ctx, a, scope, None) for a in args]
    known = [t.type for t in typed if t.type]
    typ = ctx.types.common_type(known) if known else "text"
    if known and typ is None:
        raise ctx.error(f"types {', '.join(known)} cannot be matched; add a cast", node)
    if typ is not None:
        typed = [
            expr(ctx, a, scope, Typed(typ, t.nullable)) if t.type is None else t
            for a, t in zip(args, typed, strict=True)
        ]
    nullable = all(t.nullable for t in typed) if all_null else any(t.nullable for t in typed)
    return Typed(typ, nullable)


@rule(ast.CaseExpr)
def _case(ctx: Context, node: ast.CaseExpr, scope: Scope, want: Want) -> Typed:
    with set_functions(scope, "in CASE"):
        return _case_value(ctx, node, scope, want)


def _case_value(ctx: Context, node: ast.CaseExpr, scope: Scope, want: Want) -> Typed:
    subject = expr(ctx, node.arg, scope) if node.arg is not None else None
    results = []
    for when in node.args or ():
        expr(ctx, present(when.expr), scope, subject if subject is not None else BOOL)
        results.append(when.result)
    if node.defresult is not None:
        results.append(node.defresult)
    out = common(ctx, results, scope, want.expect, all_null=False, node=node)
    return Typed(out.type, out.nullable or node.defresult is None)


@rule(ast.SubLink)
def _sublink(ctx: Context, node: ast.SubLink, scope: Scope, want: Want) -> Typed:
    kind = node.subLinkType
    select = subquery(node.subselect)
    cols = statements.select(ctx, select, scope)
    if kind == SubLinkType.EXISTS_SUBLINK:
        return BOOL
    if kind in (SubLinkType.ANY_SUBLINK, SubLinkType.ALL_SUBLINK):
        test = present(node.testexpr)
        if isinstance(test, ast.RowExpr) and len(test.args or ()) == len(cols) > 1:
            # `(a, b) IN (SELECT x, y ...)`: each element against its column.
            items = [
                expr(ctx, e, scope, Typed(c.type, False), hint=c.name)
                for e, c in zip(test.args or (), cols, strict=True)
            ]
            nullable = any(i.nullable for i in items)
        else:
            expect = Typed(cols[0].type, False) if cols else None
            nullable = expr(ctx, test, scope, expect).nullable
        return Typed("bool", nullable or any(c.nullable for c in cols))
    if len(cols) != 1:
        raise ctx.error("subquery must return only one column", node)
    if kind == SubLinkType.ARRAY_SUBLINK:
        return Typed(ctx.types.array_of(cols[0].type), False)
    # NULL when the subquery finds no row, unless it always returns one (count(*) ...).
    return Typed(cols[0].type, cols[0].nullable or not nullability.always_one_row(select))


@rule(ast.A_ArrayExpr)
def _array(ctx: Context, node: ast.A_ArrayExpr, scope: Scope, want: Want) -> Typed:
    """`ARRAY[...]`: the elements' common type, or the expected one when none has a type."""
    expect = want.expect
    elem = Typed(ctx.types.elem(expect.type), False) if expect and expect.type else None
    elements = list(node.elements or ())
    items = [expr(ctx, e, scope, elem) for e in elements]
    known = [i.type for i in items if i.type]
    if not known:
        if expect and expect.type:
            return Typed(expect.type, False)
        if elements and all(isinstance(e, ast.A_Const) for e in elements):
            return Typed("_text", False)  # ARRAY['a', 'b'] is text[]
        if any(isinstance(e, ast.ParamRef) for e in elements):
            return Typed(None, False)  # ARRAY[@x]: typed by where it is used
        raise ctx.error("cannot infer the type of this ARRAY[]; add a cast", node)
    typ = ctx.types.common_type(known)
    if typ is None:
        raise ctx.error(f"ARRAY[] types {', '.join(known)} cannot be matched", node)
    for e, i in zip(elements, items, strict=True):
        if i.type is None:
            expr(ctx, e, scope, Typed(typ, False))
    return Typed(ctx.types.array_of(typ), False)


@rule(ast.SQLValueFunction)
def _sql_value(ctx: Context, node: ast.SQLValueFunction, scope: Scope, want: Want) -> Typed:
    op = SQLValueFunctionOp(present(node.op)).name
    return Typed(SVF_TYPES.get(op, "text"), op in nullability.SVF_NULLABLE)


# XML functions written as SQL syntax (xmlelement(name x, ...), ... IS DOCUMENT): the types
# their arguments take; element and forest contents take any type (a parameter there has
# none, as PostgreSQL says). Results are xml, IS DOCUMENT bool.
_XML_ARGS = {
    "IS_XMLCONCAT": "xml",
    "IS_DOCUMENT": "xml",
    "IS_XMLROOT": "xml",
    "IS_XMLPARSE": "text",
    "IS_XMLPI": "text",
}


@rule(ast.XmlExpr)
def _xml(ctx: Context, node: ast.XmlExpr, scope: Scope, want: Want) -> Typed:
    op = XmlExprOp(present(node.op)).name
    args = list(node.args or ()) + [present(r.val) for r in node.named_args or ()]
    typ = _XML_ARGS.get(op)
    for i, arg in enumerate(args):
        first = i == 0 or op == "IS_XMLCONCAT"
        expect = "bool" if op == "IS_XMLPARSE" and i else typ if first else "text"
        expr(ctx, arg, scope, Typed(expect, True) if typ else None)
    return Typed("bool" if op == "IS_DOCUMENT" else "xml", True)


@rule(ast.XmlSerialize)
def _xml_serialize(ctx: Context, node: ast.XmlSerialize, scope: Scope, want: Want) -> Typed:
    expr(ctx, present(node.expr), scope, Typed("xml", True))
    return Typed(cat.type_name(present(node.typeName), ctx.types, ctx.type_source), True)


@rule(ast.CollateClause)
def _collate(ctx: Context, node: ast.CollateClause, scope: Scope, want: Want) -> Typed:
    return expr(ctx, present(node.arg), scope, want.expect, want.hint)


@rule(ast.A_Indirection)
def _indirection(ctx: Context, node: ast.A_Indirection, scope: Scope, want: Want) -> Typed:
    """`a[i]`, `a[i:j]`, `jsonb_col['k']`: an element may be missing, so nullable;
    `(row).field`, `(row).field.field` (see `fields`)."""
    inds = list(node.indirection or ())
    arg = present(node.arg)
    if inds and isinstance(inds[0], ast.String):
        typed = fields.select_field(ctx, arg, sval(inds.pop(0)), scope)
    else:
        typed = expr(ctx, arg, scope)
    for ind in inds:
        if isinstance(ind, ast.String):
            typed = fields.field_of(ctx, typed.type, sval(ind), arg)
            continue
        if not isinstance(ind, ast.A_Indices):  # `(row).*` inside an expression
            raise ctx.unsupported("(...).* is supported as a select-list item only", arg)
        for bound in (ind.lidx, ind.uidx):
            if bound is not None:
                expr(ctx, bound, scope, Typed("int4", False))
        typ = typed.type
        if typ and typ != "jsonb" and not ind.is_slice:
            typ = ctx.types.elem(typ)
        typed = Typed(typ, True)
    return typed


@rule(ast.NamedArgExpr)
def _named_arg(ctx: Context, node: ast.NamedArgExpr, scope: Scope, want: Want) -> Typed:
    return expr(ctx, present(node.arg), scope, want.expect, want.hint)


@rule(ast.GroupingFunc)
def _grouping(ctx: Context, node: ast.GroupingFunc, scope: Scope, want: Want) -> Typed:
    return Typed("int4", False)


@rule(ast.RowExpr)
def _row(ctx: Context, node: ast.RowExpr, scope: Scope, want: Want) -> Typed:
    for a in node.args or ():
        expr(ctx, a, scope)
    return Typed("record", False)


@rule(ast.SetToDefault)
def _default(ctx: Context, node: ast.SetToDefault, scope: Scope, want: Want) -> Typed:
    return Typed(want.expect.type if want.expect else None, False)
