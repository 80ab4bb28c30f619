"""MERGE: each WHEN clause typed as the INSERT, UPDATE or DELETE it stands for.

`MERGE INTO target USING source ON cond` joins the two; a WHEN MATCHED clause sees both
rows (its UPDATE SET is typed like UPDATE's), WHEN NOT MATCHED [BY TARGET] sees only the
source (its INSERT is typed like INSERT ... VALUES, generated columns and all), and WHEN
NOT MATCHED BY SOURCE (PostgreSQL 17) only the target. MERGE returns no rows before
PostgreSQL 17; its command status counts the rows it changed (`:execrows`).
"""

from __future__ import annotations

from pglast import ast
from pglast.enums import CmdType, MergeMatchKind

from codegen.analyze import expressions, statements
from codegen.analyze import scope as sc
from codegen.analyze.context import BOOL, Context, Scope, present
from codegen.analyze.model import Col


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
    if getattr(stmt, "returningList", None):
        raise ctx.unsupported("MERGE ... RETURNING is not supported; select the rows after it")
    return []
