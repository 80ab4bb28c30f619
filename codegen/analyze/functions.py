"""Function calls: overload resolution with PostgreSQL's function table, aggregates and
window functions, and arguments typed from the overload that wins.

Which calls may be NULL is a separate concern: `nullability.call_nullable`.
"""

from __future__ import annotations

from typing import Any

from pglast import ast

from codegen.analyze import expressions, nullability
from codegen.analyze import scope as sc
from codegen.analyze.context import BOOL, Context, Scope, Typed, present, set_functions, svals
from codegen.analyze.operators import pick
from codegen.catalog.model import relation_key
from codegen.overloads import Choice, choose, needs_newer, resolve_function
from codegen.pgtypes import Func, TypeSpace


def call(
    ctx: Context, node: ast.FuncCall, scope: Scope, expect: Typed | None, allow_set: bool
) -> Typed:
    """A function call: the overload PostgreSQL would pick for the argument types, untyped
    arguments typed from it, and whether the result may be NULL."""
    names = svals(node.funcname)
    key = function_key(ctx, names)
    name = names[-1]
    _clauses(ctx, node, scope)
    if node.agg_star:
        if name != "count":
            raise ctx.error(f"{name}(*) is not a function", node)
        return Typed("int8", False)
    args = list(node.args or ())
    if node.agg_within_group:
        # percentile_cont(0.5) WITHIN GROUP (ORDER BY x): x is an argument too.
        args += [s.node for s in node.agg_order or ()]
    values = [present(a.arg) if isinstance(a, ast.NamedArgExpr) else a for a in args]
    typed = _arguments(ctx, node, values, scope)
    actual = tuple(t.type for t in typed)

    def resolve(space: TypeSpace) -> list[Choice]:
        if any(isinstance(a, ast.NamedArgExpr) for a in args):
            return _by_name(space, key, args, actual)
        return resolve_function(space, key, actual)

    choices = resolve(ctx.types)
    if not choices and (newer := needs_newer(ctx.types, f"{name}()", resolve)):
        raise ctx.error(newer, node)
    if not choices:
        shown = ", ".join(
            (f"{a.name} => " if isinstance(a, ast.NamedArgExpr) else "") + (t or "unknown")
            for a, t in zip(args, actual, strict=True)
        )
        if not ctx.types.functions(key) or any(isinstance(a, ast.NamedArgExpr) for a in args):
            raise ctx.error(f"function {'.'.join(names)}({shown}) does not exist", node)
        raise ctx.error(f"no overload of {name}({shown}) matches; add explicit casts", node)
    if len({c.ret for c in choices}) > 1 and None in actual and expect and expect.type:
        narrowed = [c for c in choices if c.ret == expect.type]
        choices = narrowed or choices
    choice = pick(ctx, choices, name, node, actual)
    _used(ctx, key, choice)
    if choice.returns_set and not allow_set:
        _set_here(ctx, node, scope)
    for arg, t, declared in zip(values, typed, choice.arg_types, strict=True):
        if t.type is None and declared not in nullability.POLYMORPHIC:
            expressions.expr(ctx, arg, scope, Typed(declared, False))
    per_group = (
        scope.grouped
        and node.agg_filter is None
        and node.over is None
        and all(sc.is_local(ctx, a, scope) for a in args)
    )
    ranged = any(ctx.types.range_elem(t.type or "") is not None for t in typed)
    if _made_with_type(ctx, key, choice) and not choice.strict:
        return Typed(choice.ret, False)  # a range's constructor, like int4range(lo, hi)
    return Typed(choice.ret, nullability.call_nullable(name, choice, typed, per_group, ranged))


def _arguments(ctx: Context, node: ast.FuncCall, values: list[Any], scope: Scope) -> list[Typed]:
    """The arguments' types; no set-returning function may stand among an aggregate's or
    window function's arguments."""
    inside = node.over is not None or nullability.is_aggregate(node)
    banned = "in an aggregate's or window function's arguments" if inside else scope.sets_banned
    with set_functions(scope, banned):
        return [expressions.expr(ctx, a, scope) for a in values]


def _set_here(ctx: Context, node: ast.FuncCall, scope: Scope) -> None:
    """A set-returning function outside FROM: where the scope allows one, counted."""
    if scope.sets_banned:
        raise ctx.error(
            f"set-returning function {svals(node.funcname)[-1]}() is not allowed "
            f"{scope.sets_banned}; call it in FROM or in the select list",
            node,
        )
    scope.sets_seen += 1


def _made_with_type(ctx: Context, key: str, choice: Choice) -> bool:
    """A function PostgreSQL made with a type (`Catalog.constructors`)."""
    obj = ("function", key, *choice.arg_types)
    return any(obj in made for made in ctx.catalog.constructors.values())


def _used(ctx: Context, key: str, choice: Choice) -> None:
    """A call of the user's function: the overload called is used (a view depends on it)."""
    for f in ctx.types.user_functions.get(key, ()):
        n = min(len(f.args), len(choice.arg_types))
        if f.ret == choice.ret and f.args[:n] == choice.arg_types[:n]:
            ctx.used.add(("function", key, *f.args))


def _clauses(ctx: Context, node: ast.FuncCall, scope: Scope) -> None:
    """FILTER (WHERE ...), OVER (PARTITION BY ... ORDER BY ...) and an aggregate's ORDER BY."""
    if node.agg_filter is not None:
        with set_functions(scope, "in FILTER"):
            expressions.expr(ctx, node.agg_filter, scope, BOOL)
    if node.over is not None:
        for p in node.over.partitionClause or ():
            expressions.expr(ctx, p, scope)
        for s in node.over.orderClause or ():
            expressions.expr(ctx, s.node, scope)
    for s in node.agg_order or ():
        expressions.expr(ctx, s.node, scope)


def function_key(ctx: Context, names: list[str]) -> str:
    """The catalog key a call names: `schema.name`; a bare name is a built-in, or the
    user's function in the first schema of the search_path that has one."""
    name = names[-1]
    if len(names) > 1:
        return name if names[-2] == "pg_catalog" else relation_key(names[-2], name)
    for schema in ctx.catalog.search_path:
        key = relation_key(schema, name)
        if key in ctx.types.user_functions:
            return key
    return name


def _by_name(
    space: TypeSpace, key: str, args: list[Any], actual: tuple[str | None, ...]
) -> list[Choice]:
    """`make_interval(secs => @secs)`: each overload whose argument names cover the call,
    its declared types put in the call's order; skipped arguments must have defaults."""
    cands: list[tuple[tuple[str, ...], str, Func | None]] = []
    for f in space.functions(key):
        slots = _slots(f, args)
        if slots is not None:
            cands.append((tuple(f.args[i] for i in slots), f.ret, f))
    return choose(space, cands, actual)


def _slots(f: Func, args: list[Any]) -> list[int] | None:
    """The declared argument each call argument fills, or None when `f` does not fit."""
    if f.variadic or not f.argnames:
        return None
    slots: list[int] = []
    for i, arg in enumerate(args):
        if not isinstance(arg, ast.NamedArgExpr):
            slots.append(i)
        elif arg.name in f.argnames:
            slots.append(f.argnames.index(arg.name))
        else:
            return None
    required = len(f.args) - f.defaults
    if len(set(slots)) != len(slots) or not set(range(required)) <= set(slots):
        return None
    return slots if max(slots, default=-1) < len(f.args) else None


def out_fields(ctx: Context, call: ast.FuncCall, ret: str | None) -> tuple[tuple[str, str], ...]:
    """The fields of the row a call returns (as `ret`, the type it resolved to) by its
    declaration: OUT arguments, RETURNS TABLE or a table's row type; () when the overloads
    returning `ret` have none or disagree (unnest(tsvector) has OUT columns, unnest(anyarray)
    none)."""
    key = function_key(ctx, svals(call.funcname))
    outs = {f.out for f in ctx.types.functions(key) if f.out and f.ret == ret}
    return outs.pop() if len(outs) == 1 else ()


def out_columns(
    ctx: Context, call: ast.FuncCall, ret: str | None
) -> tuple[tuple[str, str, bool], ...] | None:
    """The columns a function with OUT arguments or RETURNS TABLE gives in FROM (all
    nullable: a function body may return NULL in any of them); None when it has none."""
    return tuple((name, typ, True) for name, typ in out_fields(ctx, call, ret)) or None
