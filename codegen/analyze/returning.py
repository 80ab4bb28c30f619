"""RETURNING of INSERT, UPDATE, DELETE and MERGE, with PostgreSQL 18's `old` and `new`.

From PostgreSQL 18 a RETURNING list may name the row before (`old.price`) and after
(`new.price`) the change, or rename them (`RETURNING WITH (OLD AS o, NEW AS n) ...`). They
are visible to qualified references only, and an alias the statement itself uses (a target
or FROM item called `old`) wins. `old` is all NULL for an inserted row, `new` for a deleted
one: their columns are nullable where the statement may insert, or delete, a row.
Under an older target, naming them is refused as needing 18 (PostgreSQL 17 says "missing
FROM-clause entry for table old").
"""

from __future__ import annotations

from dataclasses import replace

from pglast import ast, visitors
from pglast.enums import ReturningOptionKind

from codegen import versions
from codegen.analyze import statements, uses
from codegen.analyze.context import Context, Entry, Scope, sval
from codegen.analyze.model import Col


def dml(
    ctx: Context, stmt: ast.InsertStmt | ast.UpdateStmt | ast.DeleteStmt, scope: Scope
) -> list[Col]:
    """RETURNING of INSERT, UPDATE, DELETE: the target is the scope's first table; an
    INSERT has no old row, a DELETE no new one."""
    target = next(e for e in scope.entries if e.table is not None)
    old_null = isinstance(stmt, ast.InsertStmt)
    new_null = isinstance(stmt, ast.DeleteStmt)
    return returning(ctx, stmt.returningClause, scope, target, old_null, new_null)


def returning(
    ctx: Context,
    clause: ast.ReturningClause | None,
    scope: Scope,
    target: Entry,
    old_null: bool,
    new_null: bool,
) -> list[Col]:
    """The RETURNING list's columns; `old_null`/`new_null`: the statement may insert
    (no old row) / delete (no new row)."""
    if clause is None or not clause.exprs:
        return []
    scope = uses.unread(scope)
    names = {"old": "old", "new": "new"}
    for option in clause.options or ():
        if (refusal := versions.needs("RETURNING old/new", ctx.types.version)) is not None:
            raise ctx.error(refusal, option)
        kind = "old" if option.option == ReturningOptionKind.RETURNING_OPTION_OLD else "new"
        names[kind] = option.value
    taken = {e.alias for s in scope.levels() for e in s.entries}
    if ctx.types.version < versions.SYNTAX["RETURNING old/new"]:
        _refuse_old_new(ctx, clause, taken)
        return statements.target_list(ctx, clause.exprs, scope)
    rows = [
        Entry(alias, [replace(c, nullable=c.nullable or null) for c in target.cols], target.table)
        for alias, null in ((names["old"], old_null), (names["new"], new_null))
        if alias not in taken
    ]
    # old/new only answer qualified references: one level out, so a bare column is the
    # target's (and a correlated subquery still sees them)
    outer = Scope(entries=rows, parent=scope.parent)
    inner = replace(scope, parent=outer)
    return statements.target_list(ctx, clause.exprs, inner)


def _refuse_old_new(ctx: Context, clause: ast.ReturningClause, taken: set[str]) -> None:
    """Under a target before 18: `old.x`/`new.x` naming no FROM item needs 18."""
    refs: list[ast.ColumnRef] = []

    class Refs(visitors.Visitor):
        def visit_ColumnRef(self, ancestors: object, node: ast.ColumnRef) -> None:
            refs.append(node)

    Refs()(clause)
    for ref in refs:
        fields = ref.fields or ()
        qual = sval(fields[0]) if len(fields) > 1 and isinstance(fields[0], ast.String) else ""
        if qual in ("old", "new") and qual not in taken:
            refusal = versions.needs("RETURNING old/new", ctx.types.version)
            raise ctx.error(refusal or "", ref)
