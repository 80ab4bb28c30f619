"""Checks on a whole analysed statement against its command (`-- name: X :cmd`).

The statement's shape has been typed by then; what is left is whether it fits the
command: a command that returns rows needs result columns, and `:copyfrom` needs the one
INSERT shape that maps onto COPY.
"""

from __future__ import annotations

from typing import Any

from pglast import ast

from codegen.analyze.context import location_of, present
from codegen.analyze.model import Col
from codegen.commands import Command
from codegen.errors import CodegenError
from codegen.parse import Query


def returns_rows(query: Query, cols: list[Col]) -> None:
    """A command that returns rows (`:one`, `:many`, ...) on a statement without any. A
    SELECT with an empty select list (`SELECT FROM t WHERE ...`) does return rows, of no
    columns: all they say is how many there are, so the error says how to ask for that."""
    command = Command(query.command)
    if command.returns_rows and not cols and isinstance(query.stmt, ast.SelectStmt):
        raise CodegenError(
            f"{query.name}: this SELECT has no columns: PostgreSQL returns rows of no columns, "
            f"which :{command} has nothing to read from; use :execrows for how many rows "
            "there are, or :one on SELECT EXISTS (SELECT FROM ...) for whether there is one",
            query.source,
            query.name_offset,
        )
    if command.returns_rows and not cols:
        raise CodegenError(
            f"{query.name}: :{command} needs a statement that returns rows "
            "(SELECT, or INSERT/UPDATE/DELETE ... RETURNING); use :exec, :execrows or "
            ":execresult",
            query.source,
            query.name_offset,
        )


# Statements whose command status ends in a row count ("UPDATE 3", "SELECT 5").
_COUNTED = (
    ast.SelectStmt,
    ast.InsertStmt,
    ast.UpdateStmt,
    ast.DeleteStmt,
    ast.MergeStmt,
    ast.CreateTableAsStmt,
)


def reports_count(query: Query, stmt: ast.Node) -> None:
    """`:execrows` reads the row count from the command status; TRUNCATE, LOCK, NOTIFY, ...
    report none ("TRUNCATE TABLE"), so the count would fail at run time."""
    if Command(query.command) == Command.EXECROWS and not isinstance(stmt, _COUNTED):
        raise CodegenError(
            f"{query.name}: :execrows needs a statement that reports a row count (SELECT, "
            "INSERT, UPDATE, DELETE, CREATE TABLE ... AS); use :exec or :execresult",
            query.source,
            query.name_offset,
        )


def copy_columns(query: Query, stmt: ast.Node) -> tuple[str, ...]:
    """:copyfrom takes `INSERT INTO t (cols) VALUES (params)`: one parameter a column.
    Returns the column names in parameter order; () for other commands. A statement of
    another shape is an error at the part that does not fit."""
    if Command(query.command) != Command.COPYFROM:
        return ()

    def bad(why: str, *near: ast.Node | None) -> CodegenError:
        """The error at the first of `near` with a position (a constant has none)."""
        where = next((loc for n in near if (loc := location_of(n)) is not None), 0)
        return query.error(
            f":copyfrom needs INSERT INTO table (columns) VALUES (@a, @b, ...) with one "
            f"parameter per column: {why}",
            where,
        )

    if not isinstance(stmt, ast.InsertStmt):
        raise bad("this is not an INSERT")
    if not stmt.cols:
        raise bad("name the columns", stmt.relation)
    select = stmt.selectStmt
    if not isinstance(select, ast.SelectStmt) or not select.valuesLists:
        raise bad("the rows must be one VALUES list", select)
    if len(select.valuesLists) != 1:
        raise bad("one VALUES row only", *select.valuesLists[1])
    if stmt.onConflictClause is not None:
        raise bad("COPY has no ON CONFLICT", stmt.onConflictClause)
    if stmt.returningClause is not None:
        raise bad("COPY returns no rows", _first(stmt.returningClause.exprs))
    cols = []
    for rt, value in zip(stmt.cols, select.valuesLists[0], strict=False):
        inner = value
        while isinstance(inner, ast.TypeCast):
            inner = inner.arg
        if not isinstance(inner, ast.ParamRef):
            raise bad(f"the value for {rt.name} is not a parameter", value, rt)
        cols.append((present(inner.number), present(rt.name)))
    numbers = sorted(n for n, _ in cols)
    if numbers != list(range(1, len(query.params) + 1)):
        dup = next((n for n in numbers if numbers.count(n) > 1), None)
        why = f"parameter ${dup} is used twice" if dup else "every parameter must be a column"
        raise bad(why, select.valuesLists[0][0])
    return tuple(name for _, name in sorted(cols))


def _first(nodes: Any) -> ast.Node | None:
    return nodes[0] if nodes else None
