"""Parameters: each `$n` takes its type from the first place that says one, and its
nullability from `sqlc.narg` or from what it is compared with or written into.

`param` types one occurrence while the statement is analysed; `finish` turns what was
learnt into the query's parameter list once the whole statement has been seen.
"""

from __future__ import annotations

from pglast import ast

from codegen.analyze.context import Context, Typed, present
from codegen.analyze.model import ParamInfo
from codegen.errors import CodegenError
from codegen.parse import Query


def _declared_nullable(ctx: Context, number: int) -> bool | None:
    """`sqlc.narg` declares a parameter nullable; None: inferred from where it is used."""
    if ctx.query is None:
        return None
    for p in ctx.query.params:
        if p.number == number:
            return p.nullable
    return None


def param(ctx: Context, node: ast.ParamRef, expect: Typed | None, hint: str | None) -> Typed:
    """One occurrence of `$n`; `expect` is the type its place gives it, if any."""
    number = present(node.number)
    ctx.param_locs.setdefault(number, present(node.location))
    if hint and number not in ctx.param_hints:
        ctx.param_hints[number] = hint
    declared = _declared_nullable(ctx, number)
    known = ctx.param_types.get(number)
    if known is not None and known.type is not None:
        nullable = known.nullable if declared is None else declared
        return Typed(known.type, nullable)
    if expect is None or expect.type is None:
        return Typed(None, bool(declared))
    nullable = expect.nullable if declared is None else declared
    ctx.param_types[number] = Typed(expect.type, nullable)
    ctx.param_typed_at[number] = present(node.location)
    return Typed(expect.type, nullable)


def two_types(ctx: Context, node: ast.Node, here: str | None) -> CodegenError | None:
    """One parameter placed where it would need two types (`id = @x AND label = @x`):
    the error names both uses, not the operator that does not match."""
    if ctx.query is None or not isinstance(node, ast.ParamRef) or here is None:
        return None
    number = present(node.number)
    typed = ctx.param_types.get(number)
    first = ctx.param_typed_at.get(number)
    if typed is None or typed.type is None or first is None or typed.type == here:
        return None
    query = ctx.query
    p = next(p for p in query.params if p.number == number)
    shown = f"${number}" if p.positional else p.name
    line, col = query.source.position(query.file_offset(first))
    return ctx.error(
        f"parameter {shown} is {typed.type} where it is first used (line {line}, column "
        f"{col}) but {here} here; a parameter has one type: use two parameters or cast one",
        node,
    )


def finish(ctx: Context, query: Query) -> tuple[ParamInfo, ...]:
    """The query's parameters, in order; one that nothing typed is an error at its spot."""
    out = []
    for p in query.params:
        typed = ctx.param_types.get(p.number)
        if typed is None or typed.type is None:
            written = f"${p.number}" if p.positional else f"@{p.name}"
            shown = f"${p.number}" if p.positional else p.name
            where = p.offset
            if p.positional and p.number in ctx.param_locs:
                where = query.file_offset(ctx.param_locs[p.number])
            raise CodegenError(
                f"{query.name}: cannot infer the type of parameter {shown}; add a cast such "
                f"as {written}::text",
                query.source,
                where,
            )
        name = p.name
        if p.positional and p.number in ctx.param_hints:
            name = ctx.param_hints[p.number]
        typ = typed.type
        nullable = typed.nullable if p.nullable is None else p.nullable
        if p.is_slice:
            if not ctx.types.is_array(typ):
                typ = ctx.types.array_of(typ)
            nullable = False
        out.append(ParamInfo(p.number, name, typ, nullable, p.is_slice))
    return tuple(out)  # `$1`, `$2` both compared with `id` are both "id" (render numbers them)
