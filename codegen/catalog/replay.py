"""Replaying DDL: one handler per statement class, in `STATEMENTS`, like sqlc's `Update()`.

A statement class is either handled (it changes tables, columns, keys, indexes, enums,
ranges or schemas), listed with `None` (PostgreSQL accepts it and it cannot change a type
the generated code is written against: comments, grants, functions, triggers, DML, ...),
or an error that names it. ALTER TABLE's subcommands have their own table in `alter.py`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import pglast
from pglast import ast
from pglast.parser import ParseError

from codegen import versions
from codegen.catalog import change, create, routines, triggers
from codegen.catalog.alter import alter_table
from codegen.catalog.builder import Builder
from codegen.catalog.model import Catalog, ViewColumns
from codegen.catalog.sources import forward_sql, without_queries
from codegen.errors import DUPLICATE, CodegenError, SourceText, SqlState, parse_error_offset
from codegen.parse.nodes import present, sval

Handler = Callable[[Builder, Any, SourceText], None]

# Every statement class a migration may hold: its handler, or None for "PostgreSQL accepts
# it and it changes no type the generated code uses". Anything else is an error naming it.
STATEMENTS: dict[type, Handler | None] = {
    ast.CreateStmt: create.create_table,
    ast.DoStmt: lambda b, stmt, source: do_block(b, stmt, source),
    ast.CreateForeignTableStmt: lambda b, stmt, source: create.create_table(b, stmt.base, source),
    ast.ImportForeignSchemaStmt: create.import_foreign_schema,
    ast.AlterTableStmt: alter_table,
    ast.IndexStmt: create.create_index,
    ast.ViewStmt: create.create_view,
    ast.CreateTableAsStmt: create.create_table_as,
    ast.RenameStmt: change.rename,
    ast.DropStmt: change.drop,
    ast.AlterObjectSchemaStmt: change.set_schema,
    ast.CreateSchemaStmt: change.create_schema,
    ast.CreateEnumStmt: change.create_enum,
    ast.AlterEnumStmt: change.alter_enum,
    ast.CreateRangeStmt: change.create_range,
    ast.CreateFunctionStmt: routines.create_function,
    ast.CreateDomainStmt: routines.create_domain,
    ast.CompositeTypeStmt: routines.create_composite,
    # data: seed rows and fixes change no column
    **dict.fromkeys((ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt, ast.MergeStmt), None),
    **dict.fromkeys((ast.SelectStmt, ast.CopyStmt, ast.TruncateStmt, ast.RefreshMatViewStmt), None),
    # documentation, privileges, ownership, roles, security policies
    **dict.fromkeys((ast.CommentStmt, ast.SecLabelStmt, ast.GrantStmt, ast.GrantRoleStmt), None),
    **dict.fromkeys((ast.AlterDefaultPrivilegesStmt, ast.AlterOwnerStmt), None),
    **dict.fromkeys((ast.ReassignOwnedStmt, ast.DropOwnedStmt), None),
    **dict.fromkeys((ast.CreateRoleStmt, ast.AlterRoleStmt, ast.AlterRoleSetStmt), None),
    **dict.fromkeys((ast.DropRoleStmt, ast.CreatePolicyStmt, ast.AlterPolicyStmt), None),
    # code: functions, triggers, rules, event triggers, operators, casts, aggregates
    **dict.fromkeys((ast.AlterFunctionStmt, ast.AlterDomainStmt), None),
    ast.CreateTrigStmt: triggers.create_trigger,
    **dict.fromkeys((ast.CreateEventTrigStmt, ast.AlterEventTrigStmt), None),
    **dict.fromkeys((ast.RuleStmt, ast.DefineStmt, ast.CreateCastStmt, ast.CallStmt), None),
    **dict.fromkeys((ast.CreateOpClassStmt, ast.CreateOpFamilyStmt, ast.AlterOpFamilyStmt), None),
    **dict.fromkeys((ast.AlterOperatorStmt, ast.CreateConversionStmt), None),
    # extensions, sequences, statistics, maintenance, session and transactions
    ast.CreateExtensionStmt: routines.create_extension,
    **dict.fromkeys((ast.AlterExtensionStmt,), None),
    ast.CreateSeqStmt: change.create_sequence,
    **dict.fromkeys((ast.AlterSeqStmt, ast.CreateStatsStmt), None),
    **dict.fromkeys((ast.AlterStatsStmt, ast.ClusterStmt, ast.VacuumStmt, ast.ReindexStmt), None),
    **dict.fromkeys((ast.VariableSetStmt, ast.TransactionStmt, ast.LockStmt), None),
    **dict.fromkeys((ast.ConstraintsSetStmt, ast.NotifyStmt, ast.CheckPointStmt), None),
    **dict.fromkeys((ast.CreatePublicationStmt, ast.AlterPublicationStmt), None),
    **dict.fromkeys((ast.CreateSubscriptionStmt, ast.AlterSubscriptionStmt), None),
    **dict.fromkeys((ast.DropSubscriptionStmt, ast.ListenStmt, ast.UnlistenStmt), None),
    **dict.fromkeys((ast.DiscardStmt, ast.LoadStmt, ast.VariableShowStmt), None),
    **dict.fromkeys((ast.ExplainStmt, ast.PrepareStmt, ast.ExecuteStmt), None),
    **dict.fromkeys((ast.DeallocateStmt, ast.AlterSystemStmt), None),
    # databases, tablespaces, collations, text search, languages, access methods, storage
    **dict.fromkeys((ast.CreatedbStmt, ast.DropdbStmt, ast.AlterDatabaseStmt), None),
    **dict.fromkeys((ast.AlterDatabaseSetStmt, ast.AlterDatabaseRefreshCollStmt), None),
    **dict.fromkeys((ast.CreateTableSpaceStmt, ast.DropTableSpaceStmt), None),
    **dict.fromkeys((ast.AlterTableSpaceOptionsStmt, ast.AlterTableMoveAllStmt), None),
    **dict.fromkeys((ast.AlterCollationStmt, ast.AlterTSConfigurationStmt), None),
    **dict.fromkeys((ast.AlterTSDictionaryStmt, ast.CreatePLangStmt, ast.CreateAmStmt), None),
    **dict.fromkeys((ast.CreateTransformStmt, ast.AlterTypeStmt), None),  # ALTER TYPE SET (...)
    **dict.fromkeys((ast.AlterExtensionContentsStmt, ast.AlterObjectDependsStmt), None),
    # foreign data wrappers, servers and user mappings (foreign tables above)
    **dict.fromkeys((ast.CreateFdwStmt, ast.AlterFdwStmt, ast.CreateForeignServerStmt), None),
    **dict.fromkeys((ast.AlterForeignServerStmt, ast.CreateUserMappingStmt), None),
    **dict.fromkeys((ast.AlterUserMappingStmt, ast.DropUserMappingStmt), None),
}


def do_block(builder: Builder, stmt: ast.DoStmt, source: SourceText) -> None:
    """DO $$ ... $$ in PL/pgSQL: the SQL statements of its body replayed in order, IF
    branches and exception-guarded blocks included, as migrations use it for idempotent
    DDL (`DO $$ BEGIN CREATE TYPE t AS ENUM (...); EXCEPTION WHEN duplicate_object THEN
    null; END $$`). A statement that fails because what it creates exists already (a
    duplicate_* SQLSTATE) is skipped (the guard's job); an `EXECUTE 'string'` is not seen.
    Errors point at the DO statement."""
    args = {present(d.defname): sval(d.arg) for d in stmt.args or () if isinstance(d, ast.DefElem)}
    if args.get("language", "plpgsql").lower() != "plpgsql" or "as" not in args:
        return
    wrapper = (
        f"CREATE FUNCTION __do() RETURNS void LANGUAGE plpgsql AS $__do$\n{args['as']}\n$__do$"
    )
    try:
        tree = pglast.parse_plpgsql(wrapper)
        queries = [pglast.parse_sql(q) for q in _plpgsql_statements(tree)]
    except ParseError as exc:
        raise CodegenError(
            f"DO block: {exc.args[0]}", source, sqlstate=SqlState.SYNTAX_ERROR
        ) from None
    for raws in queries:
        for raw in raws:
            inner = SourceText(source.path, "")
            try:
                _apply(builder, raw.stmt, inner, 0)
            except CodegenError as err:
                if err.sqlstate not in DUPLICATE:
                    raise CodegenError(
                        f"in this DO block: {err.message}", source, sqlstate=err.sqlstate
                    ) from None


def _plpgsql_statements(node: object) -> list[str]:
    """The SQL statements (PLpgSQL_stmt_execsql) of a PL/pgSQL tree, in order."""
    if isinstance(node, list):
        return [q for item in node for q in _plpgsql_statements(item)]
    if not isinstance(node, dict):
        return []
    if "PLpgSQL_stmt_execsql" in node:
        return [node["PLpgSQL_stmt_execsql"]["sqlstmt"]["PLpgSQL_expr"]["query"]]
    return [q for value in node.values() for q in _plpgsql_statements(value)]


def _apply(builder: Builder, stmt: ast.Node | None, source: SourceText, offset: int) -> None:
    kind = type(stmt)
    if kind not in STATEMENTS:
        words = " ".join(source.text[offset:].split()[:2]).upper()
        raise CodegenError(
            f"{words} ({kind.__name__}) is not supported in migrations: the generator cannot "
            "tell what it does to the types of tables and queries",
            source,
            offset,
        )
    handler = STATEMENTS[kind]
    if handler is not None:
        handler(builder, stmt, source)


def build(
    files: Iterable[tuple[str, str]],
    view_columns: ViewColumns | None = None,
    search_path: tuple[str, ...] = ("public",),
    version: int = versions.NEWEST,
) -> Catalog:
    """Replay migrations given as (path, text) pairs in order, on PostgreSQL `version`."""
    builder = Builder(view_columns, search_path, version)
    names = []
    for path, text in files:
        source = SourceText(path, text)
        names.append(path)
        text = without_queries(SourceText(path, forward_sql(text)))
        try:
            stmts = pglast.parse_sql(text)
        except ParseError as exc:
            offset = parse_error_offset(exc, len(text))
            raise CodegenError(str(exc.args[0]), source, offset) from None
        for raw in stmts:
            start = _statement_start(text, raw.stmt_location or 0)
            builder.statement = _statement_text(text, raw)
            try:
                _apply(builder, raw.stmt, source, start)
            except CodegenError as err:
                if err.offset is None:  # the statement, where the handler could not say
                    raise err.at(source, start) from None
                raise
    return builder.freeze(names)


_COMMENTS = re.compile(r"(\s+|--[^\n]*|/\*.*?\*/)*", re.S)


def _statement_text(text: str, raw: ast.RawStmt) -> str:
    """A statement as written, from its first keyword (the comments before it left out)."""
    start = raw.stmt_location or 0
    end = start + raw.stmt_len if raw.stmt_len else len(text)
    body = text[start:end]
    return _COMMENTS.sub("", body, count=1).rstrip() + ";"


def _statement_start(text: str, offset: int) -> int:
    """The statement's first token: pglast's location includes the whitespace before it."""
    return len(text) - len(text[offset:].lstrip())
