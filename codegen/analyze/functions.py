"""Function calls: overload resolution with PostgreSQL's function table, aggregates and
window functions, and arguments typed from the overload that wins.

Which calls may be NULL is a separate concern: `nullability.call_nullable`.
"""

from __future__ import annotations

from typing import Any

from pglast import ast

from codegen.analyze import expressions, nullability
from codegen.analyze import scope as sc
from codegen.analyze.context import BOOL, Context, Scope, Typed, svals
from codegen.analyze.operators import pick
from codegen.pgtypes import resolve_function


def call(
    ctx: Context, node: ast.FuncCall, scope: Scope, expect: Typed | None, allow_set: bool
) -> Typed:
    """A function call: the overload PostgreSQL would pick for the argument types, untyped
    arguments typed from it, and whether the result may be NULL."""
    names = svals(node.funcname)
    if len(names) > 1 and names[0] != "pg_catalog":
        raise ctx.error(f"function {'.'.join(names)} is not known", node)
    name = names[-1].lower()
    _clauses(ctx, node, scope)
    if node.agg_star:
        if name != "count":
            raise ctx.error(f"{name}(*) is not a function", node)
        return Typed("int8", False)
    args = list(node.args or ())
    if any(isinstance(a, ast.NamedArgExpr) for a in args):
        return _named_args_call(ctx, name, args, scope, node)
    if node.agg_within_group:
        # percentile_cont(0.5) WITHIN GROUP (ORDER BY x): x is an argument too.
        args += [s.node for s in node.agg_order or ()]
    typed = [expressions.expr(ctx, a, scope) for a in args]
    actual = tuple(t.type for t in typed)
    choices = resolve_function(ctx.types, name, actual)
    if not choices:
        if name not in ctx.types.b.functions:
            raise ctx.error(f"function {name}() does not exist", node)
        shown = ", ".join(t or "unknown" for t in actual)
        raise ctx.error(f"no overload of {name}({shown}) matches; add explicit casts", node)
    if len({c.ret for c in choices}) > 1 and None in actual and expect and expect.type:
        narrowed = [c for c in choices if c.ret == expect.type]
        choices = narrowed or choices
    choice = pick(ctx, choices, name, node, actual)
    if choice.returns_set and not allow_set and name not in nullability.SELECT_LIST_SETS:
        raise ctx.error(f"set-returning function {name}() belongs in FROM", node)
    for arg, t, declared in zip(args, typed, choice.arg_types, strict=True):
        if t.type is None and declared not in nullability.POLYMORPHIC:
            expressions.expr(ctx, arg, scope, Typed(declared, False))
    per_group = (
        scope.grouped
        and node.agg_filter is None
        and node.over is None
        and all(sc.is_local(ctx, a, scope) for a in args)
    )
    return Typed(choice.ret, nullability.call_nullable(name, choice, typed, per_group))


def _clauses(ctx: Context, node: ast.FuncCall, scope: Scope) -> None:
    """FILTER (WHERE ...), OVER (PARTITION BY ... ORDER BY ...) and an aggregate's ORDER BY."""
    if node.agg_filter is not None:
        expressions.expr(ctx, node.agg_filter, scope, BOOL)
    if node.over is not None:
        for p in node.over.partitionClause or ():
            expressions.expr(ctx, p, scope)
        for s in node.over.orderClause or ():
            expressions.expr(ctx, s.node, scope)
    for s in node.agg_order or ():
        expressions.expr(ctx, s.node, scope)


def _named_args_call(
    ctx: Context, name: str, args: list[Any], scope: Scope, node: ast.FuncCall
) -> Typed:
    """`make_interval(days => @n)`: the bundled catalog has no argument names, so the
    call is typed only when every overload returns the same type, and arguments passed
    by name are not typed from the function (a parameter there needs a cast)."""
    funcs = ctx.types.b.functions.get(name, ())
    if not funcs:
        raise ctx.error(f"function {name}() does not exist", node)
    rets = {f.ret for f in funcs}
    typed = [expressions.expr(ctx, a, scope) for a in args]
    ret = rets.pop() if len(rets) == 1 else None
    if ret is None or not ctx.types.known(ret) or any(f.returns_set for f in funcs):
        raise ctx.error(
            f"{name}() with arguments by name (=>) cannot be typed; pass them by position",
            node,
        )
    nullable = any(t.nullable for t in typed) or not all(f.strict for f in funcs)
    return Typed(ret, nullable)
