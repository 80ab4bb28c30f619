"""Checks on a whole analysed statement against its command (`-- name: X :cmd`).

The statement's shape has been typed by then; what is left is whether it fits the
command: a command that returns rows needs result columns, and `:copyfrom` needs the one
INSERT shape that maps onto COPY.
"""

from __future__ import annotations

from pglast import ast

from codegen.analyze.context import present
from codegen.analyze.model import Col
from codegen.commands import Command
from codegen.errors import CodegenError
from codegen.parse import Query


def returns_rows(query: Query, cols: list[Col]) -> None:
    """A command that returns rows (`:one`, `:many`, ...) on a statement without any."""
    command = Command(query.command)
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
    Returns the column names in parameter order; () for other commands."""
    if Command(query.command) != Command.COPYFROM:
        return ()
    bad = query.error(
        ":copyfrom needs INSERT INTO table (columns) VALUES (@a, @b, ...) with one "
        "parameter per column"
    )
    if not isinstance(stmt, ast.InsertStmt) or not stmt.cols:
        raise bad
    select = stmt.selectStmt
    if (
        not isinstance(select, ast.SelectStmt)
        or not select.valuesLists
        or len(select.valuesLists) != 1
    ):
        raise bad
    if stmt.onConflictClause is not None or stmt.returningClause is not None:
        raise bad
    cols = []
    for rt, value in zip(stmt.cols, select.valuesLists[0], strict=False):
        while isinstance(value, ast.TypeCast):
            value = value.arg
        if not isinstance(value, ast.ParamRef):
            raise bad
        cols.append((present(value.number), present(rt.name)))
    if sorted(n for n, _ in cols) != list(range(1, len(query.params) + 1)):
        raise bad
    return tuple(name for _, name in sorted(cols))
