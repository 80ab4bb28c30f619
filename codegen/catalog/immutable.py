"""Expressions PostgreSQL requires to be IMMUTABLE, checked as it checks them.

A generated column's expression (`GENERATED ALWAYS AS (expr) STORED`; heap.c,
cookDefault and check_nested_generated) and an index's expressions and predicate
(indexcmds.c, CheckMutability): every function, operator and cast they call must be IMMUTABLE,
as a built-in's `provolatile` says or a CREATE FUNCTION declares (VOLATILE when it says
nothing), and a generated column may not read another generated column. `now()`,
`array_to_string()` (stable: it formats with the session's settings), timestamptz +
interval or a PL/pgSQL function not marked IMMUTABLE make the statement fail, and the
column or index does not exist. A LANGUAGE sql function is inlined by PostgreSQL before
the check, its body deciding; it is taken as immutable (`routines`).

A partition key's expressions too. The expression is analysed as `SELECT expr FROM table`: a
column the table does not have is an error, as in PostgreSQL; one the analyzer cannot type (or
types differently from PostgreSQL) is left unchecked rather than refused.
"""

from __future__ import annotations

import pglast
from pglast import ast
from pglast.enums import ConstrType

from codegen.catalog import checks
from codegen.catalog.builder import Builder
from codegen.catalog.model import Table
from codegen.errors import CodegenError, SourceText, SqlState
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
    calls = _mutable_calls(b, table.name, expr, source)
    if calls:
        raise CodegenError(
            f"generation expression is not immutable: {calls} is not IMMUTABLE (a generated "
            "column may only call immutable functions and operators)",
            source,
            c.location,
            sqlstate=SqlState.INVALID_OBJECT_DEFINITION,
        )


def check_index(b: Builder, table: Table, stmt: ast.IndexStmt, source: SourceText) -> None:
    """CREATE INDEX: its expressions, then its predicate, call only immutable functions."""
    exprs = [e.expr for e in stmt.indexParams or () if isinstance(e, ast.IndexElem) and e.expr]
    parts = [("index expression", e) for e in exprs]
    if stmt.whereClause is not None:
        parts.append(("index predicate", stmt.whereClause))
    for what, expr in parts:
        calls = _mutable_calls(b, table.name, expr, source)
        if calls:
            raise CodegenError(
                f"functions in {what} must be marked IMMUTABLE: {calls} is not",
                source,
                present(stmt.relation).location,
                sqlstate=SqlState.INVALID_OBJECT_DEFINITION,
            )


def check_partition_key(
    b: Builder, table: Table, spec: ast.PartitionSpec | None, source: SourceText
) -> None:
    """PARTITION BY: its columns exist, its expressions call only immutable code."""
    for elem in spec.partParams or () if spec is not None else ():
        if not isinstance(elem, ast.PartitionElem):
            continue
        if elem.name and table.column(elem.name) is None:
            raise CodegenError(
                f'column "{elem.name}" named in partition key does not exist',
                source,
                elem.location,
                sqlstate=SqlState.UNDEFINED_COLUMN,
            )
        calls = _mutable_calls(b, table.name, elem.expr, source) if elem.expr else ""
        if calls:
            raise CodegenError(
                f"functions in partition key expression must be marked IMMUTABLE: {calls} is not",
                source,
                elem.location,
                sqlstate=SqlState.INVALID_OBJECT_DEFINITION,
            )


def _mutable_calls(b: Builder, key: str, expr: ast.Node, source: SourceText) -> str:
    """The functions and operators `expr` calls on the relation `key` that are not
    IMMUTABLE, listed; "" when none, or when the analyzer cannot type the expression."""
    if b.view_columns is None:
        return ""
    try:
        analysed = b.view_columns(b.freeze(), _select(key, expr), source)
    except CodegenError as exc:
        if exc.sqlstate == SqlState.UNDEFINED_COLUMN:
            raise  # a column the relation does not have: PostgreSQL's error too
        return ""
    return ", ".join(sorted(analysed.mutable))


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
