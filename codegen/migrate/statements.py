"""The statements of a non-transactional migration, one by one: how each is run, and whether
it can be run again.

A `-- transactional: false` migration cannot run in one transaction (`CREATE INDEX
CONCURRENTLY`, batched `COMMIT`s), so a run can die between any two of its statements. The
runner records its progress per statement (`codegen.migrate.stepwise`) and resumes from
there, which needs two facts about each statement, both decided here from PostgreSQL's own
parse tree (pglast):

- `atomic`: the statement can run inside a transaction, so the runner commits it together
  with its progress record (it either happened and is recorded, or neither). Statements
  that cannot (`CONCURRENTLY`, `VACUUM`, a `DO` block that commits, transaction control)
  run alone and are recorded after they finished: a run killed in between runs them again.
- `not_reentrant`: why running the statement again, over whatever an earlier, interrupted
  run of either file left behind, could fail or do something twice; None when it cannot.
  The rule every statement of both files must meet (`codegen vet` reports the others):
  `CREATE ... IF NOT EXISTS` / `OR REPLACE`, `DROP ... IF EXISTS`, `ALTER TABLE` with only
  guarded or repeatable subcommands, `INSERT ... ON CONFLICT`, `DELETE`, session and lock
  statements, or a `DO` block (where a catalog check guards what SQL cannot say, such as
  `ADD CONSTRAINT`: the block is trusted, and reviewed as such).
  `CREATE INDEX CONCURRENTLY IF NOT EXISTS` is re-entrant because the runner first drops an
  INVALID index of that name (what a killed build leaves), which IF NOT EXISTS would skip.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pglast
from pglast import ast
from pglast.enums import AlterTableType
from pglast.parser import ParseError

# ALTER TABLE subcommands that can run again over their own result.
_REPEATABLE_ALTER = {
    AlterTableType.AT_ValidateConstraint,
    AlterTableType.AT_ColumnDefault,
    AlterTableType.AT_DropNotNull,
    AlterTableType.AT_SetNotNull,
    AlterTableType.AT_AlterColumnType,
    AlterTableType.AT_SetStatistics,
    AlterTableType.AT_SetStorage,
    AlterTableType.AT_SetRelOptions,
    AlterTableType.AT_ResetRelOptions,
    AlterTableType.AT_SetLogged,
    AlterTableType.AT_SetUnLogged,
    AlterTableType.AT_EnableRowSecurity,
    AlterTableType.AT_DisableRowSecurity,
    AlterTableType.AT_ReplicaIdentity,
}
# ... and those that can when written with IF [NOT] EXISTS (missing_ok).
_GUARDED_ALTER = {
    AlterTableType.AT_AddColumn,
    AlterTableType.AT_DropColumn,
    AlterTableType.AT_DropConstraint,
}
# Statements that change nothing stored, or are re-entrant by nature.
_ALWAYS = (
    ast.VariableSetStmt,
    ast.LockStmt,
    ast.TransactionStmt,
    ast.DoStmt,
    ast.DeleteStmt,
    ast.SelectStmt,
    ast.VacuumStmt,
    ast.GrantStmt,
    ast.CommentStmt,
    ast.ReindexStmt,
    ast.RefreshMatViewStmt,
)


@dataclass(frozen=True)
class Statement:
    """One statement of a migration file as the runner splits it (yoyo's splitting)."""

    number: int  # 1-based
    sql: str
    atomic: bool
    session: bool  # a session setting (SET): replayed before resuming after it
    index_build: str | None  # CREATE INDEX CONCURRENTLY's index name


def describe(number: int, sql: str) -> Statement:
    node = _parse(sql)
    return Statement(
        number=number,
        sql=sql,
        atomic=node is not None and _atomic(node),
        session=isinstance(node, ast.VariableSetStmt) and not node.is_local,
        index_build=_index_build(node),
    )


def _parse(sql: str) -> Any:
    """The statement's parse tree; None when pglast cannot parse it (then it is neither
    atomic nor known to be re-entrant: the safe side for both)."""
    try:
        raws = pglast.parse_sql(sql)
    except ParseError:
        return None
    return raws[0].stmt if len(raws) == 1 else None


def _atomic(node: Any) -> bool:
    if isinstance(node, ast.IndexStmt | ast.DropStmt):
        return not node.concurrent
    if isinstance(node, ast.ReindexStmt):
        return not any(p.defname == "concurrently" for p in node.params or ())
    if isinstance(node, ast.DoStmt):
        return not _commits(node)
    return not isinstance(node, ast.TransactionStmt | ast.VacuumStmt | ast.CreatedbStmt)


def _commits(node: ast.DoStmt) -> bool:
    """Whether a DO block's PL/pgSQL body commits or rolls back (it then cannot run inside a
    transaction block); unparsable bodies count as committing."""
    body = {d.defname: d.arg.sval for d in node.args or ()}.get("as")
    if body is None:
        return True
    wrapper = f"CREATE FUNCTION __do() RETURNS void LANGUAGE plpgsql AS $__do$\n{body}\n$__do$"
    try:
        tree = pglast.parse_plpgsql(wrapper)
    except ParseError:
        return True
    return _has_key(tree, ("PLpgSQL_stmt_commit", "PLpgSQL_stmt_rollback"))


def _has_key(node: Any, keys: tuple[str, ...]) -> bool:
    if isinstance(node, list):
        return any(_has_key(item, keys) for item in node)
    if isinstance(node, dict):
        return any(k in keys or _has_key(v, keys) for k, v in node.items())
    return False


def _index_build(node: Any) -> str | None:
    if isinstance(node, ast.IndexStmt) and node.concurrent and node.idxname:
        schema = node.relation.schemaname if node.relation else None
        return f"{schema}.{node.idxname}" if schema else str(node.idxname)
    return None


def not_reentrant(sql: str) -> str | None:
    """Why `sql` cannot safely run again after an interrupted run; None when it can."""
    node = _parse(sql)
    if node is None:
        return "a statement PostgreSQL's parser does not take on its own"
    if isinstance(node, _ALWAYS):
        return None
    check = _CHECKS.get(type(node))
    if check is None:
        return f"{_kind(node)}: cannot say IF [NOT] EXISTS (guard it in a DO block)"
    return check(node)


_NAMES = {
    ast.CreateStmt: "CREATE TABLE",
    ast.IndexStmt: "CREATE INDEX",
    ast.CreateSeqStmt: "CREATE SEQUENCE",
    ast.CreateExtensionStmt: "CREATE EXTENSION",
    ast.CreateSchemaStmt: "CREATE SCHEMA",
    ast.CreateTableAsStmt: "CREATE TABLE AS",
    ast.ViewStmt: "CREATE VIEW",
    ast.CreateFunctionStmt: "CREATE FUNCTION",
    ast.CreateTrigStmt: "CREATE TRIGGER",
}


def _kind(node: Any) -> str:
    return _NAMES.get(type(node), type(node).__name__.removesuffix("Stmt"))


def _if_not_exists(node: Any) -> str | None:
    return None if node.if_not_exists else f"{_kind(node)} without IF NOT EXISTS"


def _or_replace(node: Any) -> str | None:
    return None if node.replace else f"{_kind(node)} without OR REPLACE"


def _drop(node: ast.DropStmt) -> str | None:
    return None if node.missing_ok else "DROP without IF EXISTS"


def _insert(node: ast.InsertStmt) -> str | None:
    return None if node.onConflictClause else "INSERT without ON CONFLICT"


def _alter_enum(node: ast.AlterEnumStmt) -> str | None:
    if node.oldVal is None and node.skipIfNewValExists:
        return None
    return "ALTER TYPE ... ADD VALUE without IF NOT EXISTS, or RENAME VALUE"


def _alter_table(node: ast.AlterTableStmt) -> str | None:
    for cmd in node.cmds or ():
        if cmd.subtype in _REPEATABLE_ALTER:
            continue
        if cmd.subtype in _GUARDED_ALTER and cmd.missing_ok:
            continue
        name = AlterTableType(cmd.subtype).name.removeprefix("AT_")
        if cmd.subtype in _GUARDED_ALTER:
            return f"ALTER TABLE {name} without IF [NOT] EXISTS"
        return f"ALTER TABLE {name}: cannot say IF NOT EXISTS (guard it in a DO block)"
    return None


_CHECKS: dict[type, Callable[[Any], str | None]] = {
    ast.CreateStmt: _if_not_exists,
    ast.IndexStmt: _if_not_exists,
    ast.CreateSeqStmt: _if_not_exists,
    ast.CreateExtensionStmt: _if_not_exists,
    ast.CreateSchemaStmt: _if_not_exists,
    ast.CreateTableAsStmt: _if_not_exists,
    ast.ViewStmt: _or_replace,
    ast.CreateFunctionStmt: _or_replace,
    ast.CreateTrigStmt: _or_replace,
    ast.DropStmt: _drop,
    ast.InsertStmt: _insert,
    ast.AlterEnumStmt: _alter_enum,
    ast.AlterTableStmt: _alter_table,
}
