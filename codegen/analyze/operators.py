"""Operator expressions (`A_Expr`): `a op b`, `IN`, `BETWEEN`, `LIKE`, `IS DISTINCT FROM`,
`NULLIF`, `op ANY (array)`, row comparisons.

Each form has its own rule in `_FORMS`, keyed by the parser's expression kind. Operators
resolve with PostgreSQL's own operator table (`overloads.resolve_operator`), and an untyped
operand (a literal or parameter) takes the type the winning operator declares for it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pglast import ast
from pglast.enums import A_Expr_Kind, SubLinkType

from codegen.analyze import expressions, params, statements
from codegen.analyze.context import Context, Scope, Typed, present, subquery, sval
from codegen.analyze.nullability import NULL_ON_VALUE_OPS
from codegen.overloads import Choice, needs_newer, resolve_operator

_COMPARISONS = {"=", "<>", "!=", "<", ">", "<=", ">="}
Form = Callable[[Context, ast.A_Expr, Scope, Typed | None, str | None], Typed]


def a_expr(
    ctx: Context, node: ast.A_Expr, scope: Scope, expect: Typed | None, hint: str | None
) -> Typed:
    """An operator expression, typed by the rule for its form."""
    kind = present(node.kind)
    form = _FORMS.get(kind)
    if form is None:
        raise ctx.error(f"unsupported operator form {A_Expr_Kind(kind).name}", node)
    return form(ctx, node, scope, expect, hint)


def _op_name(node: ast.A_Expr) -> str:
    return sval(node.name[-1]) if node.name else ""


def name_of(node: ast.Node | None) -> str | None:
    """The column an operand names, to name a positional parameter compared with it."""
    if isinstance(node, ast.ColumnRef) and isinstance(present(node.fields)[-1], ast.String):
        return sval(present(node.fields)[-1])
    if isinstance(node, ast.TypeCast):
        return name_of(node.arg)
    return None


def _rexprs(node: ast.A_Expr) -> tuple[Any, ...]:
    """The right side of IN / BETWEEN: a list of expressions."""
    right = node.rexpr
    return right if isinstance(right, tuple) else ()


def _rexpr(node: ast.A_Expr) -> ast.Node:
    right = node.rexpr
    if not isinstance(right, ast.Node):
        raise TypeError("a list where the parser puts one expression")
    return right


def _any_all(
    ctx: Context, node: ast.A_Expr, scope: Scope, expect: Typed | None, hint: str | None
) -> Typed:
    """`x op ANY (array)`: the array's element against x."""
    lexpr = present(node.lexpr)
    left = expressions.expr(ctx, lexpr, scope)
    arr = Typed(ctx.types.array_of(left.type), False) if left.type else None
    right = expressions.expr(ctx, _rexpr(node), scope, arr, hint=name_of(lexpr))
    if left.type is None and right.type is not None:
        left = expressions.expr(ctx, lexpr, scope, Typed(ctx.types.elem(right.type), False))
    elem = ctx.types.elem(right.type) if right.type else None
    operator(ctx, _op_name(node), left, Typed(elem, right.nullable), node)
    return Typed("bool", left.nullable or right.nullable)


def _in(
    ctx: Context, node: ast.A_Expr, scope: Scope, expect: Typed | None, hint: str | None
) -> Typed:
    lexpr = present(node.lexpr)
    left = expressions.expr(ctx, lexpr, scope)
    # Like `=`: a parameter compared with a nullable column is still NOT NULL.
    each = Typed(left.type, False) if left.type else None
    items = [expressions.expr(ctx, r, scope, each, hint=name_of(lexpr)) for r in _rexprs(node)]
    if left.type is None:
        typ = next((i.type for i in items if i.type), None)
        if typ is not None:
            left = expressions.expr(ctx, lexpr, scope, Typed(typ, False))
    return Typed("bool", left.nullable or any(i.nullable for i in items))


def _between(
    ctx: Context, node: ast.A_Expr, scope: Scope, expect: Typed | None, hint: str | None
) -> Typed:
    left = expressions.expr(ctx, present(node.lexpr), scope)
    bound = Typed(left.type, False) if left.type else None
    bounds = [expressions.expr(ctx, r, scope, bound) for r in _rexprs(node)]
    return Typed("bool", left.nullable or any(b.nullable for b in bounds))


def _like(
    ctx: Context, node: ast.A_Expr, scope: Scope, expect: Typed | None, hint: str | None
) -> Typed:
    """`a [NOT] [I]LIKE b [ESCAPE c]`: the operator ~~ (!~~, ~~*, !~~*) resolved like any
    other, so `citext_col LIKE @p` takes a citext pattern; text when neither side is typed."""
    lexpr, rexpr = present(node.lexpr), _rexpr(node)
    probe = [expressions.expr(ctx, n, scope) for n in (lexpr, rexpr)]
    if probe[0].type is None and probe[1].type is None:
        text = Typed("text", False)
        left = expressions.expr(ctx, lexpr, scope, text)
        right = expressions.expr(ctx, rexpr, scope, text, hint=name_of(lexpr))
        return Typed("bool", left.nullable or right.nullable)
    return binary(ctx, sval(present(node.name)[-1]), lexpr, rexpr, scope, None, node)


def _nullif(
    ctx: Context, node: ast.A_Expr, scope: Scope, expect: Typed | None, hint: str | None
) -> Typed:
    left = expressions.expr(ctx, present(node.lexpr), scope)
    expressions.expr(ctx, _rexpr(node), scope, left if left.type else None)
    return Typed(left.type, True)


def _distinct(
    ctx: Context, node: ast.A_Expr, scope: Scope, expect: Typed | None, hint: str | None
) -> Typed:
    """`IS [NOT] DISTINCT FROM`: never NULL; either side may be NULL."""
    lexpr = present(node.lexpr)
    left = expressions.expr(ctx, lexpr, scope)
    right = expressions.expr(
        ctx, _rexpr(node), scope, Typed(left.type, True) if left.type else None
    )
    if left.type is None and right.type is not None:
        expressions.expr(ctx, lexpr, scope, Typed(right.type, True))
    return Typed("bool", False)


def _op(
    ctx: Context, node: ast.A_Expr, scope: Scope, expect: Typed | None, hint: str | None
) -> Typed:
    """`a op b` and prefix `op b`; `(a, b) op (c, d)` and `(a, b) op (SELECT ...)` by element."""
    op = _op_name(node)
    if node.lexpr is None:
        right = expressions.expr(ctx, _rexpr(node), scope, expect)
        choices = resolve_operator(ctx.types, op, None, right.type, True)
        return Typed(pick(ctx, choices, op, node).ret, right.nullable)
    lexpr, rexpr = node.lexpr, _rexpr(node)
    if (
        isinstance(lexpr, ast.RowExpr)
        and isinstance(rexpr, ast.RowExpr)
        and len(lexpr.args or ()) == len(rexpr.args or ())
    ):
        return _row_compare(ctx, op, lexpr.args or (), rexpr.args or (), scope, node)
    if (
        isinstance(lexpr, ast.RowExpr)
        and isinstance(rexpr, ast.SubLink)
        and rexpr.subLinkType == SubLinkType.EXPR_SUBLINK
    ):
        return _row_subquery(ctx, op, lexpr, rexpr, scope, node)
    return binary(ctx, op, lexpr, rexpr, scope, expect, node)


def binary(
    ctx: Context,
    op: str,
    lnode: ast.Node,
    rnode: ast.Node,
    scope: Scope,
    expect: Typed | None,
    node: ast.Node,
) -> Typed:
    """`a op b`, typing an untyped side from the other side and the operator."""
    lhint, rhint = name_of(rnode), name_of(lnode)
    left = expressions.expr(ctx, lnode, scope, None, hint=lhint)
    right = expressions.expr(ctx, rnode, scope, None, hint=rhint)
    arith_expect = expect if op not in _COMPARISONS else None
    if left.type is None and right.type is not None:
        declared = _unknown_operand(ctx, op, None, right.type, 0, node)
        left = expressions.expr(ctx, lnode, scope, Typed(declared, False), hint=lhint)
    elif right.type is None and left.type is not None:
        declared = _unknown_operand(ctx, op, left.type, None, 1, node)
        right = expressions.expr(ctx, rnode, scope, Typed(declared, False), hint=rhint)
    elif left.type is None and right.type is None and arith_expect and arith_expect.type:
        left = expressions.expr(ctx, lnode, scope, arith_expect, hint=lhint)
        right = expressions.expr(ctx, rnode, scope, arith_expect, hint=rhint)
    if not resolve_operator(ctx.types, op, left.type, right.type, False):
        for param, other in ((lnode, right.type), (rnode, left.type)):
            if (err := params.two_types(ctx, param, other)) is not None:
                raise err
    result = operator(ctx, op, left, right, node)
    if left.type is None or right.type is None:
        # `@a || 'x'`, `'%' || @q || '%'`: resolution picked the types (text || text);
        # give them to the operands that had none.
        choices = resolve_operator(ctx.types, op, left.type, right.type, False)
        choice = pick(ctx, choices, op, node)
        for operand, typed, declared, hint in (
            (lnode, left, choice.arg_types[0], lhint),
            (rnode, right, choice.arg_types[1], rhint),
        ):
            if typed.type is None and ctx.types.known(declared):
                expressions.expr(ctx, operand, scope, Typed(declared, False), hint=hint)
    return result


def _unknown_operand(
    ctx: Context, op: str, left: str | None, right: str | None, index: int, node: ast.Node
) -> str:
    """The type an untyped operand (literal or parameter) takes, as PostgreSQL picks it.

    The operator is resolved with the operand unknown and the operand takes the declared
    type of the winner: `jsonb_col -> 'k'` makes 'k' text (there is no jsonb -> jsonb),
    `id = @id` makes @id the type of id. Several winners (`date + @n`: int4, interval,
    time?) is PostgreSQL's "operator is not unique"; none falls back to the other
    operand's type and lets `operator` report what does not match.
    """
    known = present(left if left is not None else right)
    choices = resolve_operator(ctx.types, op, left, right, False)
    declared = {c.arg_types[index] for c in choices if ctx.types.known(c.arg_types[index])}
    if len(declared) == 1:
        return declared.pop()
    if len(declared) > 1:
        shown = f"{left or 'unknown'} {op} {right or 'unknown'}"
        raise ctx.error(
            f"operator is not unique: {shown} (the unknown side could be "
            f"{', '.join(sorted(declared))}); add a cast",
            node,
        )
    return known


def _row_compare(
    ctx: Context,
    op: str,
    lefts: Sequence[Any],
    rights: Sequence[Any],
    scope: Scope,
    node: ast.Node,
) -> Typed:
    """`(a, b) < (@x, @y)` compares element by element, so each side types the other."""
    nullable = False
    for lnode, rnode in zip(lefts, rights, strict=True):
        nullable |= binary(ctx, op, lnode, rnode, scope, None, node).nullable
    return Typed("bool", nullable)


def _row_subquery(
    ctx: Context, op: str, row: ast.RowExpr, sub: ast.SubLink, scope: Scope, node: ast.Node
) -> Typed:
    """`(a, b) < (SELECT x, y ...)`: each element against its column of the subquery's one
    row; NULL when the subquery returns no row."""
    cols = statements.select(ctx, subquery(sub.subselect), scope)
    elements = row.args or ()
    if len(cols) != len(elements):
        raise ctx.error(
            f"the subquery returns {len(cols)} columns to compare with {len(elements)}", sub
        )
    for element, col in zip(elements, cols, strict=True):
        left = expressions.expr(ctx, element, scope, hint=col.name)
        if left.type is None:
            declared = _unknown_operand(ctx, op, None, col.type, 0, node)
            left = expressions.expr(ctx, element, scope, Typed(declared, False), hint=col.name)
        operator(ctx, op, left, Typed(col.type, col.nullable), node)
    return Typed("bool", True)


def operator(ctx: Context, op: str, left: Typed, right: Typed, node: ast.Node) -> Typed:
    """The result of `op` on two typed operands; NULL in, NULL out (and `->` on a missing key)."""
    choices = resolve_operator(ctx.types, op, left.type, right.type, False)
    if not choices and (
        newer := needs_newer(
            ctx.types,
            f"operator {left.type} {op} {right.type}",
            lambda space: resolve_operator(space, op, left.type, right.type, False),
        )
    ):
        raise ctx.error(newer, node)
    choice = pick(ctx, choices, op, node, (left.type, right.type))
    nullable = left.nullable or right.nullable or op in NULL_ON_VALUE_OPS
    return Typed(choice.ret, nullable)


def pick(
    ctx: Context,
    choices: list[Choice],
    what: str,
    node: ast.Node,
    args: tuple[str | None, ...] = (),
) -> Choice:
    """The resolved overload; none, or several returning different types, is an error."""
    if not choices:
        shown = ", ".join(a or "unknown" for a in args)
        raise ctx.error(
            f"no operator or function {what}({shown}) matches; add explicit casts", node
        )
    for i, arg in enumerate(args):
        # `to_char(@x, 'YYYY')`: every overload returns text, but PostgreSQL still cannot
        # choose the type of an untyped argument the overloads declare differently.
        declared = {c.arg_types[i] for c in choices if i < len(c.arg_types)}
        if arg is None and len(declared) > 1:
            function = what[:1].isalpha() or what[:1] == "_"
            label = f"{what}()" if function else f"operator {what}"
            side = f"argument {i + 1}" if function else ("left", "right")[i] + " operand"
            raise ctx.error(
                f"{label} is not unique: its {side} has no type and could be "
                f"{', '.join(sorted(declared))}; add a cast to the one meant",
                node,
            )
    rets = {c.ret for c in choices}
    if len(rets) > 1:
        raise ctx.error(
            f"{what} is ambiguous here (could return {', '.join(sorted(rets))}); add a cast",
            node,
        )
    if choices[0].volatile != "i":
        ctx.mutable.add(
            f"{what}()" if what[:1].isalpha() or what[:1] == "_" else f"operator {what}"
        )
    return choices[0]


_FORMS: dict[A_Expr_Kind, Form] = {
    A_Expr_Kind.AEXPR_OP: _op,
    A_Expr_Kind.AEXPR_OP_ANY: _any_all,
    A_Expr_Kind.AEXPR_OP_ALL: _any_all,
    A_Expr_Kind.AEXPR_IN: _in,
    A_Expr_Kind.AEXPR_BETWEEN: _between,
    A_Expr_Kind.AEXPR_NOT_BETWEEN: _between,
    A_Expr_Kind.AEXPR_BETWEEN_SYM: _between,
    A_Expr_Kind.AEXPR_NOT_BETWEEN_SYM: _between,
    A_Expr_Kind.AEXPR_LIKE: _like,
    A_Expr_Kind.AEXPR_ILIKE: _like,
    A_Expr_Kind.AEXPR_SIMILAR: _like,
    A_Expr_Kind.AEXPR_NULLIF: _nullif,
    A_Expr_Kind.AEXPR_DISTINCT: _distinct,
    A_Expr_Kind.AEXPR_NOT_DISTINCT: _distinct,
}
