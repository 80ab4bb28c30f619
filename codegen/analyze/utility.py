"""Utility statements run as queries (`:exec`, `:execrows`): TRUNCATE, VACUUM, ANALYZE,
NOTIFY, LISTEN, UNLISTEN, CALL, DO, REFRESH MATERIALIZED VIEW, LOCK, SET/RESET and
CREATE TEMP TABLE, VIEW or SEQUENCE (or one in `pg_temp`, which makes it temporary).

They return no rows. What is checked is what they name: every relation must exist, as for
any other query (PostgreSQL itself only finds out when the statement runs). PostgreSQL's
grammar takes parameters in none of them except CALL's arguments and the query of
`CREATE TEMP TABLE ... AS`; where the grammar lets a `$n` through anyway (a column DEFAULT,
a CHECK), the server prepares it with no parameter at all and fails at run time, so a
parameter there is an error at the parameter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pglast import ast

from codegen import catalog as cat
from codegen.analyze import expressions, statements
from codegen.analyze import scope as sc
from codegen.analyze.context import Context, Scope, present, subquery
from codegen.analyze.model import Col
from codegen.errors import CodegenError


def _relations(ctx: Context, rvs: Any) -> None:
    for rv in rvs or ():
        sc.table(ctx, rv)


def _truncate(ctx: Context, stmt: ast.TruncateStmt, scope: Scope) -> list[Col]:
    _relations(ctx, stmt.relations)
    return []


def _vacuum(ctx: Context, stmt: ast.VacuumStmt, scope: Scope) -> list[Col]:
    _relations(ctx, [present(r.relation) for r in stmt.rels or ()])
    return []


def _lock(ctx: Context, stmt: ast.LockStmt, scope: Scope) -> list[Col]:
    _relations(ctx, stmt.relations)
    return []


def _refresh(ctx: Context, stmt: ast.RefreshMatViewStmt, scope: Scope) -> list[Col]:
    rv = present(stmt.relation)
    if not sc.table(ctx, rv).is_view:
        raise ctx.error(f'"{rv.relname}" is not a materialized view', rv)
    return []


def _call(ctx: Context, stmt: ast.CallStmt, scope: Scope) -> list[Col]:
    """`CALL proc(@a, ...)`: arguments typed by the procedure, as a function call's are."""
    expressions.expr(ctx, present(stmt.funccall), scope)
    return []


def _temporary(ctx: Context, rv: ast.RangeVar, what: str) -> None:
    """A query may create a temporary relation (`CREATE TEMP ...`, or one in `pg_temp`,
    which PostgreSQL makes temporary); any other belongs in the migrations."""
    if rv.relpersistence != "t" and rv.schemaname != "pg_temp":
        raise ctx.error(
            f"only CREATE TEMP {what} (or one in pg_temp) can be a query; other relations "
            "belong in the migrations",
            rv,
        )


def _create_temp(ctx: Context, stmt: ast.CreateStmt, scope: Scope) -> list[Col]:
    _temporary(ctx, present(stmt.relation), "TABLE")
    for elt in stmt.tableElts or ():
        if isinstance(elt, ast.ColumnDef):
            cat.type_name(elt.typeName, ctx.types, ctx.type_source)
    return []


def _create_temp_as(ctx: Context, stmt: ast.CreateTableAsStmt, scope: Scope) -> list[Col]:
    _temporary(ctx, present(present(stmt.into).rel), "TABLE ... AS")
    statements.select(ctx, subquery(stmt.query), scope)
    return []


def _create_temp_view(ctx: Context, stmt: ast.ViewStmt, scope: Scope) -> list[Col]:
    _temporary(ctx, present(stmt.view), "VIEW")
    statements.select(ctx, subquery(stmt.query), scope)
    return []


def _create_temp_sequence(ctx: Context, stmt: ast.CreateSeqStmt, scope: Scope) -> list[Col]:
    _temporary(ctx, present(stmt.sequence), "SEQUENCE")
    return []


def _nothing(ctx: Context, stmt: ast.Node, scope: Scope) -> list[Col]:
    return []


UTILITY: dict[type[ast.Node], Callable[[Context, Any, Scope], list[Col]]] = {
    ast.TruncateStmt: _truncate,
    ast.VacuumStmt: _vacuum,  # VACUUM and ANALYZE
    ast.LockStmt: _lock,
    ast.RefreshMatViewStmt: _refresh,
    ast.CallStmt: _call,
    ast.CreateStmt: _create_temp,
    ast.CreateTableAsStmt: _create_temp_as,
    ast.ViewStmt: _create_temp_view,
    ast.CreateSeqStmt: _create_temp_sequence,
    **dict.fromkeys(
        (ast.NotifyStmt, ast.ListenStmt, ast.UnlistenStmt, ast.DoStmt, ast.VariableSetStmt),
        _nothing,
    ),
}
# Where PostgreSQL takes parameters in a utility statement.
_TAKES_PARAMS = (ast.CallStmt, ast.CreateTableAsStmt)


def statement(ctx: Context, stmt: ast.Node, scope: Scope) -> list[Col]:
    """A utility statement's (empty) result, after checking what it names."""
    query = ctx.query
    if query is not None and query.params and not isinstance(stmt, _TAKES_PARAMS):
        raise CodegenError(
            f"{query.name}: a parameter cannot be used in {_title(stmt)}: PostgreSQL takes "
            "none there (only SELECT, INSERT, UPDATE, DELETE, CALL and CREATE TABLE ... AS do)",
            query.source,
            min(p.offset for p in query.params),
        )
    return UTILITY[type(stmt)](ctx, stmt, scope)


def _title(stmt: ast.Node) -> str:
    """The statement as its SQL names it, for messages."""
    return {
        ast.CreateStmt: "CREATE TABLE",
        ast.VariableSetStmt: "SET",
        ast.RefreshMatViewStmt: "REFRESH MATERIALIZED VIEW",
    }.get(type(stmt), type(stmt).__name__.removesuffix("Stmt").upper())
