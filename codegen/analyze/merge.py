"""MERGE: each WHEN clause typed as the INSERT, UPDATE or DELETE it stands for.

`MERGE INTO target USING source ON cond` joins the two; a WHEN MATCHED clause sees both
rows (its UPDATE SET is typed like UPDATE's), WHEN NOT MATCHED [BY TARGET] sees only the
source (its INSERT is typed like INSERT ... VALUES, generated columns and all), and WHEN
NOT MATCHED BY SOURCE (PostgreSQL 17) only the target. Its command status counts the rows
it changed (`:execrows`). From PostgreSQL 17 it may return rows: `RETURNING` sees the
target and the source (the source's columns NULL for a WHEN NOT MATCHED BY SOURCE row),
`merge_action()` says which action ran ('INSERT', 'UPDATE' or 'DELETE'), and from 18 the
target's `old` and `new` rows are there too (`returning`).
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import replace

from pglast import ast
from pglast.enums import CmdType, MergeMatchKind

from codegen import versions
from codegen.analyze import expressions, returning, statements, uses
from codegen.analyze import scope as sc
from codegen.analyze.context import BOOL, Context, Entry, Scope, Typed, present
from codegen.analyze.model import Col

# True while a MERGE's RETURNING list is typed: the one place merge_action() may be
_IN_RETURNING: ContextVar[bool] = ContextVar("merge_returning", default=False)


def merge(ctx: Context, stmt: ast.MergeStmt, parent: Scope) -> list[Col]:
    scope = parent.child()
    sc.with_clause(ctx, stmt.withClause, scope)
    relation = present(stmt.relation)
    t, target = statements.target_entry(ctx, relation)
    source = Scope(parent=scope)
    source.entries, source.star = sc.from_item(ctx, present(stmt.sourceRelation), source)
    both = Scope(entries=[target, *source.entries], parent=scope)
    expressions.expr(ctx, present(stmt.joinCondition), both, BOOL)
    for when in stmt.mergeWhenClauses or ():
        seen = {
            MergeMatchKind.MERGE_WHEN_MATCHED: both,
            MergeMatchKind.MERGE_WHEN_NOT_MATCHED_BY_SOURCE: Scope([target], parent=scope),
        }.get(when.matchKind, source)
        if when.condition is not None:
            expressions.expr(ctx, when.condition, seen, BOOL)
        if when.commandType == CmdType.CMD_UPDATE:
            statements.assignments(ctx, when.targetList or (), t, seen)
        elif when.commandType == CmdType.CMD_INSERT:
            values = ast.SelectStmt(valuesLists=(when.values,)) if when.values else None
            insert = ast.InsertStmt(
                relation=relation,
                cols=when.targetList or None,
                selectStmt=values,
                override=when.override,
            )
            statements.insert(ctx, insert, source)
        elif when.commandType == CmdType.CMD_DELETE:
            uses.write(ctx, t.name, "delete", ())
    return _returning(ctx, stmt, target, source, scope)


def _returning(
    ctx: Context, stmt: ast.MergeStmt, target: Entry, source: Scope, scope: Scope
) -> list[Col]:
    clause = stmt.returningClause
    if clause is None or not clause.exprs:
        return []
    if (refusal := versions.needs("MERGE ... RETURNING", ctx.types.version)) is not None:
        raise ctx.error(refusal, clause.exprs[0])
    whens = stmt.mergeWhenClauses or ()
    by_source = any(w.matchKind == MergeMatchKind.MERGE_WHEN_NOT_MATCHED_BY_SOURCE for w in whens)
    sources = [
        replace(e, cols=[replace(c, nullable=True) for c in e.cols]) if by_source else e
        for e in source.entries
    ]
    both = Scope(entries=[target, *sources], parent=scope)
    both.star = sc.star_of(target) + source.star
    inserts = any(w.commandType == CmdType.CMD_INSERT for w in whens)
    deletes = any(w.commandType == CmdType.CMD_DELETE for w in whens)
    token = _IN_RETURNING.set(True)
    try:
        return returning.returning(ctx, clause, both, target, inserts, deletes)
    finally:
        _IN_RETURNING.reset(token)


def merge_action(ctx: Context, node: ast.MergeSupportFunc) -> Typed:
    """merge_action(): the action that produced the row, as text, never NULL."""
    if not _IN_RETURNING.get():
        raise ctx.error("merge_action() can only be used in the RETURNING list of a MERGE", node)
    return Typed("text", False)
