"""ALTER TABLE, one entry per subcommand: what each does to the catalog, or that it does nothing.

`ALTER_TABLE` has a key for every `AlterTableType` pglast knows (a test iterates the enum), so
no subcommand can crash the replay or be misread: one that changes columns, keys or indexes
has a handler; one that only touches storage, triggers, ownership, statistics, security or
partitions is listed with `_no_effect` (or `_column_checked`, which still insists, as
PostgreSQL does, that the column it names exists).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from pglast import ast
from pglast.enums import AlterTableType as At
from pglast.enums import DropBehavior, ObjectType

from codegen.catalog import attributes, change, checks, create, depends, immutable, versioned
from codegen.catalog.builder import Builder
from codegen.catalog.model import Column, Index, Table
from codegen.catalog.names import declared_domain, default_name, type_of
from codegen.errors import CodegenError, SourceText, SqlState
from codegen.parse.nodes import node, present

Cmd = ast.AlterTableCmd
Loc = int | None  # where the table is named, for errors
# (builder, table, subcommand, source, location of the table name) -> the changed table
AlterHandler = Callable[[Builder, Table, Cmd, SourceText, Loc], Table]


def _no_effect(b: Builder, table: Table, cmd: Cmd, source: SourceText, loc: Loc) -> Table:
    return table


def _column(table: Table, cmd: Cmd, source: SourceText, loc: Loc) -> Column | None:
    """The column a subcommand names; an error when it does not exist (unless IF EXISTS)."""
    col = table.column(present(cmd.name))
    if col is None and not cmd.missing_ok:
        raise CodegenError(
            f'column "{cmd.name}" of relation "{table.name}" does not exist',
            source,
            loc,
            sqlstate=SqlState.UNDEFINED_COLUMN,
        )
    return col


def _column_checked(b: Builder, table: Table, cmd: Cmd, source: SourceText, loc: Loc) -> Table:
    _column(table, cmd, source, loc)
    return table


def _changes_column(
    change: Callable[[Builder, Column, Cmd, SourceText], Column],
) -> AlterHandler:
    def handler(b: Builder, table: Table, cmd: Cmd, source: SourceText, loc: Loc) -> Table:
        col = _column(table, cmd, source, loc)
        if col is None:
            return table
        new = change(b, col, cmd, source)
        return replace(
            table, columns=tuple(new if c.name == col.name else c for c in table.columns)
        )

    return handler


def _add_column(b: Builder, table: Table, cmd: Cmd, source: SourceText, loc: Loc) -> Table:
    col = node(cmd.def_, ast.ColumnDef)
    if table.column(present(col.colname)) and cmd.missing_ok:
        return table
    table = create.add_column(b, table, col, source)
    b.tables[table.name] = table  # the subcommands so far, for the expression to read
    immutable.check_columns(b, table, [col], source)
    return table


def _add_constraint(b: Builder, table: Table, cmd: Cmd, source: SourceText, loc: Loc) -> Table:
    return create.add_constraint(b, table, node(cmd.def_, ast.Constraint), source)


def _drop_constraint(b: Builder, table: Table, cmd: Cmd, source: SourceText, loc: Loc) -> Table:
    return change.drop_constraint(b, table, present(cmd.name))


def _drop_column(b: Builder, table: Table, cmd: Cmd, source: SourceText, loc: Loc) -> Table:
    if _column(table, cmd, source, loc) is None:
        return table
    b.tables[table.name] = table  # the subcommands before this one, for the rules to see
    cascade = cmd.behavior == DropBehavior.DROP_CASCADE
    depends.drop(b, ("column", table.name, present(cmd.name)), cascade, source)
    return b.tables[table.name]


def _column_type(b: Builder, table: Table, cmd: Cmd, source: SourceText, loc: Loc) -> Table:
    """ALTER COLUMN ... TYPE, refused while a view reads the column (`depends`)."""
    depends.change_column_type(b, ("column", table.name, present(cmd.name)), source)
    return _retyped(b, table, cmd, source, loc)


def alter_table(b: Builder, stmt: ast.AlterTableStmt, source: SourceText) -> None:
    if stmt.objtype == ObjectType.OBJECT_TYPE:  # ALTER TYPE t ADD/DROP/ALTER ATTRIBUTE
        attributes.alter_type(b, stmt, source)
        return
    if stmt.objtype not in (ObjectType.OBJECT_TABLE, None):
        return  # ALTER INDEX/SEQUENCE/VIEW/MATERIALIZED VIEW ...: storage and names only
    relation = present(stmt.relation)
    table = b.table(relation, source, missing_ok=bool(stmt.missing_ok))
    if table is None:
        return
    for cmd in stmt.cmds or ():
        cmd = node(cmd, ast.AlterTableCmd)
        table = ALTER_TABLE[present(cmd.subtype)](b, table, cmd, source, relation.location)
    b.tables[table.name] = table


def _set_generated(col: Column, options: object) -> Column:
    """ALTER COLUMN ... SET GENERATED ALWAYS / BY DEFAULT (and sequence options)."""
    for opt in options if isinstance(options, (list, tuple)) else ():
        if isinstance(opt, ast.DefElem) and opt.defname == "generated":
            always = node(opt.arg, ast.Integer).ival == ord("a")
            return replace(col, generated="identity" if always else "")
    return col


def _attach(b: Builder, table: Table, cmd: Cmd, source: SourceText, loc: Loc) -> Table:
    """ATTACH PARTITION: the partition has the parent's keys and indexes from now on."""
    child = b.table(present(node(cmd.def_, ast.PartitionCmd).name), source)
    assert child is not None
    b.tables[child.name] = replace(child, partition_of=table.name)
    return table


def _detach(b: Builder, table: Table, cmd: Cmd, source: SourceText, loc: Loc) -> Table:
    """DETACH PARTITION: the partition keeps its copies of the parent's keys and unique
    indexes, now its own."""
    b.tables[table.name] = table
    child = b.table(present(node(cmd.def_, ast.PartitionCmd).name), source)
    assert child is not None
    keys = b.freeze().arbiters(table.name)
    bare = child.name.rpartition(".")[2]
    for cols, partial in keys:
        names = sorted(c or "expr" for c in cols)
        b.indexes.append(
            Index(default_name(bare, names, "idx"), child.name, tuple(cols), True, partial)
        )
    b.tables[child.name] = replace(child, partition_of="")
    return table


_retyped = _changes_column(
    lambda b, c, cmd, s: replace(
        c,
        type=type_of(b, node(cmd.def_, ast.ColumnDef).typeName, s),
        modifiers=checks.type_modifiers(present(node(cmd.def_, ast.ColumnDef).typeName)),
        domain=declared_domain(b, node(cmd.def_, ast.ColumnDef).typeName),
    )
)


ALTER_TABLE: dict[At, AlterHandler] = {
    # -- columns ------------------------------------------------------------------------
    At.AT_AddColumn: _add_column,
    At.AT_DropColumn: _drop_column,
    At.AT_ColumnDefault: _changes_column(
        lambda b, c, cmd, s: replace(c, has_default=bool(cmd.def_))
    ),
    At.AT_SetNotNull: _changes_column(lambda b, c, cmd, s: replace(c, not_null=True)),
    At.AT_DropNotNull: _changes_column(lambda b, c, cmd, s: replace(c, not_null=False)),
    At.AT_AlterColumnType: _column_type,
    At.AT_AddIdentity: _changes_column(
        lambda b, c, cmd, s: replace(
            c, has_default=True, not_null=True, generated=create.generated_kind(cmd.def_)
        )
    ),
    At.AT_DropIdentity: _changes_column(
        lambda b, c, cmd, s: replace(c, has_default=False, generated="")
    ),
    At.AT_DropExpression: _changes_column(
        lambda b, c, cmd, s: replace(c, has_default=False, generated="")
    ),
    At.AT_SetIdentity: _changes_column(lambda b, c, cmd, s: _set_generated(c, cmd.def_)),
    At.AT_SetExpression: versioned.since("ALTER COLUMN ... SET EXPRESSION", _column_checked),
    At.AT_SetStatistics: _column_checked,
    At.AT_SetOptions: _column_checked,
    At.AT_ResetOptions: _column_checked,
    At.AT_SetStorage: _column_checked,
    At.AT_SetCompression: _column_checked,
    At.AT_AlterColumnGenericOptions: _column_checked,
    # -- constraints --------------------------------------------------------------------
    At.AT_AddConstraint: _add_constraint,
    At.AT_DropConstraint: _drop_constraint,
    At.AT_AlterConstraint: _no_effect,  # deferrability
    At.AT_ValidateConstraint: _no_effect,  # a NOT VALID constraint becomes valid
    # -- storage, ownership, clustering, options, triggers, rules, security -------------
    At.AT_ChangeOwner: _no_effect,
    At.AT_ClusterOn: _no_effect,
    At.AT_DropCluster: _no_effect,
    At.AT_SetLogged: _no_effect,
    At.AT_SetUnLogged: _no_effect,
    At.AT_DropOids: _no_effect,
    At.AT_SetAccessMethod: _no_effect,
    At.AT_SetTableSpace: _no_effect,
    At.AT_SetRelOptions: _no_effect,
    At.AT_ResetRelOptions: _no_effect,
    At.AT_GenericOptions: _no_effect,
    At.AT_ReplicaIdentity: _no_effect,
    At.AT_EnableTrig: _no_effect,
    At.AT_EnableAlwaysTrig: _no_effect,
    At.AT_EnableReplicaTrig: _no_effect,
    At.AT_DisableTrig: _no_effect,
    At.AT_EnableTrigAll: _no_effect,
    At.AT_DisableTrigAll: _no_effect,
    At.AT_EnableTrigUser: _no_effect,
    At.AT_DisableTrigUser: _no_effect,
    At.AT_EnableRule: _no_effect,
    At.AT_EnableAlwaysRule: _no_effect,
    At.AT_EnableReplicaRule: _no_effect,
    At.AT_DisableRule: _no_effect,
    At.AT_EnableRowSecurity: _no_effect,
    At.AT_DisableRowSecurity: _no_effect,
    At.AT_ForceRowSecurity: _no_effect,
    At.AT_NoForceRowSecurity: _no_effect,
    # -- inheritance, typed tables, partitions: PostgreSQL requires the columns to match
    # already, so the table's own columns do not change.
    At.AT_AddInherit: _no_effect,
    At.AT_DropInherit: _no_effect,
    At.AT_AddOf: _no_effect,
    At.AT_DropOf: _no_effect,
    At.AT_AttachPartition: _attach,
    At.AT_DetachPartition: _detach,
    At.AT_DetachPartitionFinalize: _no_effect,
    # -- PostgreSQL creates these itself while executing other commands; the parser never
    # produces them from SQL text.
    At.AT_AddColumnToView: _no_effect,
    At.AT_CookedColumnDefault: _no_effect,
    At.AT_AddIndex: _no_effect,
    At.AT_ReAddIndex: _no_effect,
    At.AT_ReAddConstraint: _no_effect,
    At.AT_ReAddDomainConstraint: _no_effect,
    At.AT_AddIndexConstraint: _no_effect,
    At.AT_ReAddComment: _no_effect,
    At.AT_ReplaceRelOptions: _no_effect,
    At.AT_ReAddStatistics: _no_effect,
}
