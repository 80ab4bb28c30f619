"""A generated column's expression, checked as PostgreSQL checks it when the column is made.

`GENERATED ALWAYS AS (expr) STORED`: the expression is analysed as `SELECT expr FROM
table`, so the columns and functions it names must exist, and then PostgreSQL's own rules
for it hold (heap.c, cookDefault and check_nested_generated): a generated column may not
read another generated column, and every function and operator the expression calls must
be IMMUTABLE, as a built-in's `provolatile` says or a CREATE FUNCTION declares (VOLATILE
when it says nothing). `now()`, `array_to_string()` (stable: it formats with the
session's settings) or a user function not marked IMMUTABLE make the statement fail, and
the column does not exist. An expression the analyzer cannot type is left unchecked.
"""

from __future__ import annotations

import pglast
from pglast import ast
from pglast.enums import ConstrType

from codegen.catalog import checks
from codegen.catalog.builder import Builder
from codegen.catalog.model import Table
from codegen.errors import CodegenError, SourceText, SqlState, Unsupported
from codegen.parse.nodes import present

_TEMPLATE = "SELECT NULL FROM t"


def check_columns(b: Builder, table: Table, defs: object, source: SourceText) -> None:
    """Every generated column among the ColumnDefs `defs`, now that `table` holds them."""
    for col in defs if isinstance(defs, (list, tuple)) else ():
        if not isinstance(col, ast.ColumnDef):
            continue
        for c in col.constraints or ():
            if isinstance(c, ast.Constraint) and c.contype == ConstrType.CONSTR_GENERATED:
                _check(b, table, c, source)


def _check(b: Builder, table: Table, c: ast.Constraint, source: SourceText) -> None:
    expr = c.raw_expr
    if expr is None:
        return
    for name in checks.column_names(expr):
        used = table.column(name)
        if used is not None and used.generated == "expression":
            raise CodegenError(
                f'cannot use generated column "{name}" in column generation expression: '
                "a generated column cannot reference another generated column",
                source,
                c.location,
                sqlstate=SqlState.INVALID_OBJECT_DEFINITION,
            )
    if b.view_columns is None:
        return
    try:
        analysed = b.view_columns(b.freeze(), _select(table.name, expr), source)
    except Unsupported:
        return
    if analysed.mutable:
        calls = ", ".join(sorted(analysed.mutable))
        raise CodegenError(
            f"generation expression is not immutable: {calls} is not IMMUTABLE (a generated "
            "column may only call immutable functions and operators)",
            source,
            c.location,
            sqlstate=SqlState.INVALID_OBJECT_DEFINITION,
        )


def _select(key: str, expr: ast.Node) -> ast.SelectStmt:
    """`SELECT expr FROM <the table>`, the expression's own nodes (and positions) kept."""
    stmt = pglast.parse_sql(_TEMPLATE)[0].stmt
    assert isinstance(stmt, ast.SelectStmt)
    schema, _, name = key.rpartition(".")
    rv = present(stmt.fromClause)[0]
    assert isinstance(rv, ast.RangeVar)
    rv.relname = name
    rv.schemaname = schema or None
    target = present(stmt.targetList)[0]
    assert isinstance(target, ast.ResTarget)
    target.val = expr
    return stmt
