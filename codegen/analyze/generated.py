"""GENERATED ALWAYS columns take only DEFAULT, as PostgreSQL checks at PREPARE.

An identity column `GENERATED ALWAYS AS IDENTITY` is written only under `OVERRIDING
SYSTEM VALUE` (or its value is thrown away under `OVERRIDING USER VALUE`); a generated
column `GENERATED ALWAYS AS (...) STORED` never. Both may be set to DEFAULT, in INSERT
values and in UPDATE SET, and an INSERT may leave them out. Anything else is an error at
the column, with PostgreSQL's message and what to write instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pglast import ast
from pglast.enums import OverridingKind

from codegen import catalog as cat
from codegen.analyze.context import Context

_WHY = {
    "identity": "it is an identity column GENERATED ALWAYS; leave it out, write DEFAULT, "
    "or add OVERRIDING SYSTEM VALUE",
    "expression": "it is a generated column; leave it out or write DEFAULT",
}


def check_insert(ctx: Context, stmt: ast.InsertStmt, targets: Sequence[cat.Column]) -> None:
    """INSERT: every value given for a GENERATED ALWAYS column is DEFAULT."""
    select = stmt.selectStmt
    rows: Sequence[Sequence[Any]] | None = None
    if isinstance(select, ast.SelectStmt) and select.valuesLists:
        rows = select.valuesLists
    given = _outputs(select)
    for i, col in enumerate(targets):
        if not col.generated or _overridden(stmt, col):
            continue
        if rows is not None:
            written = [r[i] for r in rows if i < len(r) and not isinstance(r[i], ast.SetToDefault)]
        else:  # INSERT ... SELECT: every output column is a value
            written = [select] if i < given or stmt.cols else []
        if written:
            where = stmt.cols[i] if stmt.cols else written[0]
            why = _WHY[col.generated]
            raise ctx.error(
                f'cannot insert a non-DEFAULT value into column "{col.name}": {why}', where
            )


def _outputs(select: ast.Node | None) -> int:
    """How many values INSERT ... SELECT gives (a set operation: its first branch's)."""
    while isinstance(select, ast.SelectStmt) and select.larg is not None:
        select = select.larg
    return len(select.targetList or ()) if isinstance(select, ast.SelectStmt) else 0


def _overridden(stmt: ast.InsertStmt, col: cat.Column) -> bool:
    override = stmt.override
    return col.generated == "identity" and override in (
        OverridingKind.OVERRIDING_SYSTEM_VALUE,
        OverridingKind.OVERRIDING_USER_VALUE,
    )


def check_assignment(ctx: Context, col: cat.Column, value: ast.Node | None, at: ast.Node) -> None:
    """UPDATE SET / ON CONFLICT DO UPDATE SET: a GENERATED ALWAYS column only to DEFAULT
    (`value` None: one column of `SET (a, b) = (SELECT ...)`)."""
    if col.generated and not isinstance(value, ast.SetToDefault):
        why = _WHY[col.generated].split(";")[0]
        raise ctx.error(f'column "{col.name}" can only be updated to DEFAULT: {why}', at)
