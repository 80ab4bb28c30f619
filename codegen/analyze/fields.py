"""Field selection: `(f(x)).col`, `(t).col`, typed as PostgreSQL types the field.

The row a field is taken from is one of: a FROM entry's whole row (`(i).label` is
`i.label`), a function that returns a table's row type (`RETURNS items`, `SETOF items`),
or a function with OUT arguments or `RETURNS TABLE (...)`. A set-returning function may
stand in a select list this way (`SELECT (top_items(3)).id` gives a row per item), as
PostgreSQL allows. The field is nullable unless it is a FROM entry's column that is NOT
NULL there: a function may return a NULL row or NULL fields. Anything else (a composite
type's fields, a record from an expression) is an error that suggests a cast.
"""

from __future__ import annotations

from pglast import ast

from codegen.analyze import expressions, functions
from codegen.analyze import scope as sc
from codegen.analyze.context import Context, Scope, Typed, present, sval


def select_field(ctx: Context, arg: ast.Node, name: str, scope: Scope) -> Typed:
    """The field `name` of the row `arg` stands for."""
    if isinstance(arg, ast.ColumnRef) and sc.table_row(ctx, arg, scope):
        e = sc.entry(ctx, scope, sval(present(arg.fields)[0]), arg)
        for c in e.cols:
            if c.name == name:
                return Typed(c.type, c.nullable)
        raise ctx.error(f'column "{name}" not found in data type {e.table}', arg)
    typed = expressions.expr(ctx, arg, scope)
    fields = _row_fields(ctx, arg, typed.type)
    if fields is None:
        instead = "call it in FROM" if isinstance(arg, ast.FuncCall) else "add a cast"
        raise ctx.unsupported(
            f"field selection from {typed.type or 'this value'} is not supported "
            f"(its fields are not known exactly); {instead}",
            arg,
        )
    for field, typ in fields:
        if field == name:
            return Typed(typ, True)
    raise ctx.error(f'column "{name}" not found in data type {typed.type}', arg)


def _row_fields(ctx: Context, arg: ast.Node, typ: str | None) -> list[tuple[str, str]] | None:
    """(name, type) of each field of a row value, or None when not known exactly."""
    table = ctx.catalog.tables.get(typ or "")
    if table is not None:
        return [(c.name, c.type) for c in table.columns]
    if typ == "record" and isinstance(arg, ast.FuncCall):
        return list(functions.out_fields(ctx, arg, typ)) or None
    return None
