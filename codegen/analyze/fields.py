"""Field selection: `(f(x)).col`, `(t).col`, `(t.col).field`, typed as PostgreSQL types the
field; and what `*`, `t.*` and `(row).*` in a select list stand for.

The row a field is taken from is one of: a FROM entry's whole row (`(i).label` is
`i.label`), a value of a table's row type or of a composite type (`CREATE TYPE t AS
(...)`: the catalog knows its fields), or a call of a function with OUT arguments or
`RETURNS TABLE (...)`. A set-returning function may stand in a select list this way
(`SELECT (top_items(3)).id` gives a row per item), as PostgreSQL allows. The field is
nullable unless it is a FROM entry's column that is NOT NULL there: a composite value may
be NULL, a composite's fields have no NOT NULL, and a function may return NULL fields.
Anything else (a record from an expression) is an error that suggests a cast.
"""

from __future__ import annotations

from pglast import ast

from codegen.analyze import expressions, functions, stars, uses
from codegen.analyze import scope as sc
from codegen.analyze.context import Context, Scope, Typed, present, sval
from codegen.analyze.model import Col

Fields = list[tuple[str, Typed]]


def select_field(ctx: Context, arg: ast.Node, name: str, scope: Scope) -> Typed:
    """The field `name` of the row `arg` stands for."""
    typ, fields = _row(ctx, arg, scope)
    return _pick(ctx, typ, fields, name, arg)


def field_of(ctx: Context, typ: str | None, name: str, node: ast.Node) -> Typed:
    """The field `name` of a value of type `typ` (`(c).inner.f`: a field's field)."""
    fields = _type_fields(ctx, typ)
    if fields is None:
        raise ctx.error(f"type {typ or 'unknown'} is not composite", node)
    return _pick(ctx, typ, fields, name, node)


def star(ctx: Context, val: ast.Node, scope: Scope) -> list[Col] | None:
    """The columns `*`, `t.*` or `(row).*` stands for; None for another item."""
    if isinstance(val, ast.ColumnRef) and isinstance(present(val.fields)[-1], ast.A_Star):
        return _star(ctx, val, scope)
    if isinstance(val, ast.A_Indirection) and isinstance(present(val.indirection)[-1], ast.A_Star):
        return expand(ctx, val, scope)
    return None


def _star(ctx: Context, ref: ast.ColumnRef, scope: Scope) -> list[Col]:
    """The columns `*` or `t.*` stands for (and `sqlc.embed(t)`, which became `t.*`)."""
    names = present(ref.fields)
    if len(names) == 1:
        if not scope.star:
            raise ctx.error("SELECT * with no tables", ref)
        # One FROM entry: bare names resolve to it; several: qualify each by its alias
        # (a subquery without one, PostgreSQL 16, cannot be: its star is kept).
        several = len(scope.entries) > 1
        uses.star_read(ctx, scope.entries)
        if several and any(not e.alias for e in scope.entries):
            stars.keep(ctx, ref)
        else:
            refs = [(m.qual if several else None, m.col.name) for m in scope.star]
            stars.record(ctx, ref, refs)
        return [m.col for m in scope.star]
    qual = sval(names[-2])
    e = sc.entry(ctx, scope, qual, ref)
    uses.star_read(ctx, [e])
    written = ".".join(stars.quote_ident(sval(f)) for f in names[:-1])
    stars.record(ctx, ref, [(written, c.name) for c in e.cols], quoted=True)
    return sc.embedded(ctx, e, ref) if qual in ctx.embeds else e.cols


def expand(ctx: Context, node: ast.A_Indirection, scope: Scope) -> list[Col]:
    """`(row).*` in a select list: a column per field."""
    arg = present(node.arg)
    inner = list(node.indirection or ())[:-1]
    if inner:  # `(c).inner.*`: the row is a field of a field
        arg = ast.A_Indirection(arg=arg, indirection=tuple(inner))
        typed = expressions.expr(ctx, arg, scope)
        typ, fields = typed.type, _type_fields(ctx, typed.type)
        if fields is None:
            raise ctx.error(f"type {typ or 'unknown'} is not composite", present(node.arg))
    else:
        typ, fields = _row(ctx, arg, scope)
    for name, _ in fields:
        _used(ctx, typ, name)
    return [Col(name, t.type or "text", t.nullable) for name, t in fields]


def _pick(ctx: Context, typ: str | None, fields: Fields, name: str, node: ast.Node) -> Typed:
    for field, typed in fields:
        if field == name:
            _used(ctx, typ, name)
            return typed
    raise ctx.error(f'column "{name}" not found in data type {typ}', node)


def _used(ctx: Context, typ: str | None, name: str) -> None:
    """A field of a composite type or of a table's row type: a view depends on it."""
    if typ in ctx.catalog.composites or typ in ctx.catalog.tables:
        ctx.used.add(("column", typ or "", name))


def _row(ctx: Context, arg: ast.Node, scope: Scope) -> tuple[str | None, Fields]:
    """The type of the row `arg` stands for, and its fields."""
    if isinstance(arg, ast.ColumnRef) and sc.table_row(ctx, arg, scope):
        e = sc.entry(ctx, scope, sval(present(arg.fields)[0]), arg)
        return e.table, [(c.name, Typed(c.type, c.nullable)) for c in e.cols]
    typed = expressions.expr(ctx, arg, scope)
    fields = _type_fields(ctx, typed.type)
    if fields is None and typed.type == "record" and isinstance(arg, ast.FuncCall):
        out = functions.out_fields(ctx, arg, typed.type)
        fields = [(name, Typed(t, True)) for name, t in out] or None
    if fields is None:
        instead = "call it in FROM" if isinstance(arg, ast.FuncCall) else "add a cast"
        raise ctx.unsupported(
            f"field selection from {typed.type or 'this value'} is not supported "
            f"(its fields are not known exactly); {instead}",
            arg,
        )
    return typed.type, fields


def _type_fields(ctx: Context, typ: str | None) -> Fields | None:
    """The fields of a table's row type or a composite type, each nullable."""
    cols = ctx.catalog.fields_of(typ)
    return None if cols is None else [(c.name, Typed(c.type, True)) for c in cols]
