"""DDL that a newer PostgreSQL added, refused when the project targets an older major.

PostgreSQL 17: `ALTER COLUMN ... SET EXPRESSION`. PostgreSQL 18: virtual generated columns
(`GENERATED ALWAYS AS (...) VIRTUAL`, and the form without STORED, which 18 makes virtual
and older majors refuse) and temporal keys
(`PRIMARY KEY (id, valid WITHOUT OVERLAPS)`, `FOREIGN KEY (id, PERIOD valid) REFERENCES`).
The replay models them as it does their older kin: a virtual column is generated (never
written), a temporal key is the table's key as pg_constraint records it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pglast import ast
from pglast.enums import ConstrType

from codegen import versions
from codegen.errors import CodegenError, SourceText
from codegen.parse.nodes import node

H = TypeVar("H", bound=Callable[..., Any])


def since(what: str, handler: H) -> H:
    """An ALTER TABLE subcommand's handler, refused under a target before `what`'s major
    (`versions.SYNTAX`); handlers take (builder, table, cmd, source, offset)."""

    def checked(b: Any, table: Any, cmd: Any, source: SourceText, loc: int | None) -> Any:
        _refuse(what, b.version, source, loc)
        return handler(b, table, cmd, source, loc)

    return checked  # type: ignore[return-value]


def _refuse(what: str, target: int, source: SourceText, offset: int | None) -> None:
    refusal = versions.needs(what, target)
    if refusal is not None:
        raise CodegenError(refusal, source, offset)


def check_column(target: int, col: ast.ColumnDef, source: SourceText) -> None:
    """A column definition's constraints, for what `target` lacks."""
    for c in col.constraints or ():
        check_constraint(target, node(c, ast.Constraint), source)


def check_constraint(target: int, c: ast.Constraint, source: SourceText) -> None:
    if c.contype == ConstrType.CONSTR_GENERATED and c.generated_kind == "v":
        _refuse("a virtual generated column", target, source, c.location)
    if c.without_overlaps:
        _refuse("WITHOUT OVERLAPS", target, source, c.location)
    if c.fk_with_period or c.pk_with_period:
        _refuse("a PERIOD foreign key", target, source, c.location)
