"""Replaying DDL: one handler per statement class, in `STATEMENTS`, like sqlc's `Update()`.

A statement class is either handled (it changes tables, columns, keys, indexes, enums or
ranges), listed with `None` (PostgreSQL accepts it and it cannot change a type the generated
code is written against: comments, grants, functions, triggers, DML, ...), or an error that
names it. ALTER TABLE's subcommands have their own table in `alter.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pglast
from pglast import ast as _ast
from pglast.enums import ConstrType, ObjectType
from pglast.parser import ParseError

from codegen.catalog.alter import ALTER_TABLE
from codegen.catalog.model import Catalog, Column, Enum, ForeignKey, Index, Table, ViewColumns
from codegen.catalog.names import default_name, multirange_name, rel_name, type_name
from codegen.errors import CodegenError, SourceText, parse_error_offset
from codegen.pgtypes import SERIALS, TypeSpace

# pglast types every AST field as Optional; the handlers check shapes themselves.
ast: Any = _ast

_RELATIONS = (ObjectType.OBJECT_TABLE, ObjectType.OBJECT_VIEW, ObjectType.OBJECT_MATVIEW)


def migration_files(schema_dir: Path) -> list[Path]:
    """yoyo applies forward migrations in file-name order; rollbacks are not schema."""
    return sorted(p for p in schema_dir.glob("*.sql") if not p.name.endswith(".rollback.sql"))


class Builder:
    """Mutable state while replaying; frozen into a Catalog at the end."""

    def __init__(self, view_columns: ViewColumns | None) -> None:
        self.tables: dict[str, Table] = {}
        self.enums: dict[str, Enum] = {}
        self.ranges: dict[str, str] = {}
        self.indexes: list[Index] = []
        self.view_columns = view_columns

    def freeze(self, migrations: Iterable[str] = ()) -> Catalog:
        live = [i for i in self.indexes if i.table in self.tables]
        return Catalog(
            dict(self.tables), dict(self.enums), tuple(live), tuple(migrations), dict(self.ranges)
        )

    @property
    def types(self) -> TypeSpace:
        return TypeSpace(frozenset(self.enums), self.ranges)

    def table(self, rv: Any, source: SourceText, missing_ok: bool = False) -> Table | None:
        name = rel_name(rv, source)
        table = self.tables.get(name)
        if table is None and not missing_ok:
            raise CodegenError(f'relation "{name}" does not exist', source, rv.location)
        return table

    # -- tables -----------------------------------------------------------------------

    def create_table(self, stmt: Any, source: SourceText) -> None:
        name = rel_name(stmt.relation, source)
        if name in self.tables:
            if stmt.if_not_exists:
                return
            raise CodegenError(f'relation "{name}" already exists', source, stmt.relation.location)
        table = Table(name, ())
        for elt in stmt.tableElts or ():
            if isinstance(elt, ast.ColumnDef):
                table = self.add_column(table, elt, source)
            elif isinstance(elt, ast.Constraint):
                table = self.add_constraint(table, elt, source)
        self.tables[name] = table

    def add_column(self, table: Table, col: Any, source: SourceText) -> Table:
        if table.column(col.colname):
            raise CodegenError(
                f'column "{col.colname}" specified more than once', source, col.location
            )
        raw = col.typeName.names[-1].sval
        typ = type_name(col.typeName, self.types, source)
        not_null = bool(col.is_not_null) or raw in SERIALS
        has_default = raw in SERIALS
        for c in col.constraints or ():
            kind = c.contype
            if kind in (ConstrType.CONSTR_NOTNULL, ConstrType.CONSTR_PRIMARY):
                not_null = True
            elif kind == ConstrType.CONSTR_NULL:
                not_null = False
            elif kind in (
                ConstrType.CONSTR_DEFAULT,
                ConstrType.CONSTR_IDENTITY,
                ConstrType.CONSTR_GENERATED,
            ):
                has_default = True
                if kind == ConstrType.CONSTR_IDENTITY:
                    not_null = True
        table = replace(
            table, columns=(*table.columns, Column(col.colname, typ, not_null, has_default))
        )
        for c in col.constraints or ():
            if c.contype in (ConstrType.CONSTR_PRIMARY, ConstrType.CONSTR_UNIQUE):
                table = self.add_constraint(table, _with_keys(c, (col.colname,)), source)
            elif c.contype == ConstrType.CONSTR_FOREIGN:
                table = self.add_constraint(table, _with_fk_attrs(c, col.colname), source)
        return table

    def add_constraint(self, table: Table, c: Any, source: SourceText) -> Table:
        kind = c.contype
        if kind in (ConstrType.CONSTR_PRIMARY, ConstrType.CONSTR_UNIQUE):
            return self._add_key(table, c, source)
        if kind == ConstrType.CONSTR_FOREIGN:
            return self._add_foreign_key(table, c, source)
        return table  # CHECK, EXCLUDE, NOT NULL as a table constraint: not tracked

    def _add_key(self, table: Table, c: Any, source: SourceText) -> Table:
        keys = tuple(k.sval for k in c.keys or ())
        for k in keys:
            if table.column(k) is None:
                raise CodegenError(f'column "{k}" named in key does not exist', source, c.location)
        if c.contype == ConstrType.CONSTR_PRIMARY:
            cols = tuple(
                replace(col, not_null=True) if col.name in keys else col for col in table.columns
            )
            table = replace(table, columns=cols, primary_key=keys)
        else:
            table = replace(table, unique=(*table.unique, keys))
        suffix = "pkey" if c.contype == ConstrType.CONSTR_PRIMARY else "key"
        name = c.conname or default_name(table.name, () if suffix == "pkey" else keys, suffix)
        self.indexes.append(Index(name, table.name, keys, True, False))
        return table

    def _add_foreign_key(self, table: Table, c: Any, source: SourceText) -> Table:
        ref = rel_name(c.pktable, source)
        ref_table = table if ref == table.name else self.tables.get(ref)
        if ref_table is None:
            raise CodegenError(
                f'relation "{ref}" referenced by a foreign key does not exist',
                source,
                c.pktable.location,
            )
        fk_cols: tuple[str, ...] = tuple(a.sval for a in c.fk_attrs or ())
        refs: tuple[str, ...] = tuple(a.sval for a in c.pk_attrs or ())
        for col_name in fk_cols:
            if table.column(col_name) is None:
                raise CodegenError(
                    f'column "{col_name}" referenced in foreign key does not exist',
                    source,
                    c.location,
                )
        fk = ForeignKey(
            fk_cols,
            ref,
            refs or ref_table.primary_key,
            c.fk_del_action or "a",
            c.location,
            source.path,
            c.conname or default_name(table.name, fk_cols, "fkey"),
        )
        return replace(table, foreign_keys=(*table.foreign_keys, fk))

    def alter_table(self, stmt: Any, source: SourceText) -> None:
        if stmt.objtype not in (ObjectType.OBJECT_TABLE, None):
            return  # ALTER INDEX/SEQUENCE/VIEW/MATERIALIZED VIEW ...: storage and names only
        table = self.table(stmt.relation, source, missing_ok=bool(stmt.missing_ok))
        if table is None:
            return
        for cmd in stmt.cmds or ():
            table = ALTER_TABLE[cmd.subtype](self, table, cmd, source, stmt.relation.location)
        self.tables[table.name] = table

    def drop_column(self, table: Table, name: str) -> Table:
        # PostgreSQL drops the indexes and constraints that use the column with it.
        self.indexes = [
            i for i in self.indexes if not (i.table == table.name and name in i.columns)
        ]
        return replace(
            table,
            columns=tuple(c for c in table.columns if c.name != name),
            primary_key=() if name in table.primary_key else table.primary_key,
            unique=tuple(u for u in table.unique if name not in u),
            foreign_keys=tuple(f for f in table.foreign_keys if name not in f.columns),
        )

    def drop_constraint(self, table: Table, name: str) -> Table:
        """Forget a foreign key, primary key or unique constraint (by name, as named above)."""
        index = next((i for i in self.indexes if i.table == table.name and i.name == name), None)
        fks = tuple(f for f in table.foreign_keys if f.name != name)
        if index is None and len(fks) == len(table.foreign_keys):
            return table  # a CHECK constraint (not tracked), or IF EXISTS and absent
        if index is not None:
            self.indexes.remove(index)
            if index.columns == table.primary_key:
                table = replace(table, primary_key=())
            table = replace(table, unique=tuple(u for u in table.unique if u != index.columns))
        return replace(table, foreign_keys=fks)

    # -- renames and drops ------------------------------------------------------------

    def rename(self, stmt: Any, source: SourceText) -> None:
        kind = stmt.renameType
        if kind in _RELATIONS:
            table = self.table(stmt.relation, source, missing_ok=bool(stmt.missing_ok))
            if table is not None:
                self._rename_table(table, stmt.newname)
        elif kind == ObjectType.OBJECT_COLUMN:
            table = self.table(stmt.relation, source, missing_ok=bool(stmt.missing_ok))
            if table is None:
                return
            if table.column(stmt.subname) is None:
                raise CodegenError(
                    f'column "{stmt.subname}" does not exist', source, stmt.relation.location
                )
            self._rename_column(table, stmt.subname, stmt.newname)
        elif kind == ObjectType.OBJECT_TYPE:
            self._rename_type(stmt.object[-1].sval, stmt.newname)
        elif kind == ObjectType.OBJECT_INDEX:
            old = stmt.relation.relname
            self.indexes = [
                replace(i, name=stmt.newname) if i.name == old else i for i in self.indexes
            ]
        elif kind == ObjectType.OBJECT_TABCONSTRAINT:
            old = stmt.subname
            self.indexes = [
                replace(i, name=stmt.newname) if i.name == old else i for i in self.indexes
            ]
        # other objects (functions, triggers, sequences, schemas, ...) have no type we model

    def _rename_table(self, table: Table, new: str) -> None:
        del self.tables[table.name]
        self.tables[new] = replace(table, name=new)
        for other in list(self.tables.values()):
            if any(f.ref_table == table.name for f in other.foreign_keys):
                fks = tuple(
                    replace(f, ref_table=new) if f.ref_table == table.name else f
                    for f in other.foreign_keys
                )
                self.tables[other.name] = replace(other, foreign_keys=fks)
        self.indexes = [replace(i, table=new) if i.table == table.name else i for i in self.indexes]

    def _rename_column(self, table: Table, old: str, new: str) -> None:
        def ren(names: tuple[str, ...]) -> tuple[str, ...]:
            return tuple(new if n == old else n for n in names)

        self.tables[table.name] = replace(
            table,
            columns=tuple(replace(c, name=new) if c.name == old else c for c in table.columns),
            primary_key=ren(table.primary_key),
            unique=tuple(ren(u) for u in table.unique),
            foreign_keys=tuple(replace(f, columns=ren(f.columns)) for f in table.foreign_keys),
        )
        self.indexes = [
            replace(i, columns=tuple(new if c == old else c for c in i.columns))
            if i.table == table.name
            else i
            for i in self.indexes
        ]

    def _rename_type(self, old: str, new: str) -> None:
        """ALTER TYPE ... RENAME TO: columns of the type (and of its array) follow it."""
        if old in self.enums:
            self.enums[new] = replace(self.enums.pop(old), name=new)
        elif old in self.ranges:
            self.ranges[new] = self.ranges.pop(old)
        else:
            return
        names = {old: new, "_" + old: "_" + new}
        for table in list(self.tables.values()):
            cols = tuple(replace(c, type=names.get(c.type, c.type)) for c in table.columns)
            self.tables[table.name] = replace(table, columns=cols)

    def drop(self, stmt: Any, source: SourceText) -> None:
        kind = stmt.removeType
        for obj in stmt.objects or ():
            if kind in _RELATIONS:
                name = obj[-1].sval
                if name not in self.tables and not stmt.missing_ok:
                    raise CodegenError(f'relation "{name}" does not exist', source, 0)
                self.tables.pop(name, None)
            elif kind == ObjectType.OBJECT_TYPE:
                name = obj.names[-1].sval
                self.enums.pop(name, None)
                for key in [k for k in self.ranges if k in (name, multirange_name(name))]:
                    del self.ranges[key]
            elif kind == ObjectType.OBJECT_INDEX:
                name = obj[-1].sval
                self.indexes = [i for i in self.indexes if i.name != name]

    # -- types ------------------------------------------------------------------------

    def create_enum(self, stmt: Any, source: SourceText) -> None:
        name = stmt.typeName[-1].sval
        self.enums[name] = Enum(name, tuple(v.sval for v in stmt.vals or ()))

    def alter_enum(self, stmt: Any, source: SourceText) -> None:
        name = stmt.typeName[-1].sval
        enum = self.enums.get(name)
        if enum is None:
            raise CodegenError(f'type "{name}" does not exist', source, 0)
        values = list(enum.values)
        if stmt.oldVal:
            values = [stmt.newVal if v == stmt.oldVal else v for v in values]
        elif stmt.newVal not in values:
            if stmt.newValNeighbor and stmt.newValNeighbor in values:
                at = values.index(stmt.newValNeighbor) + (1 if stmt.newValIsAfter else 0)
                values.insert(at, stmt.newVal)
            else:
                values.append(stmt.newVal)
        self.enums[name] = Enum(name, tuple(values))

    def create_range(self, stmt: Any, source: SourceText) -> None:
        """CREATE TYPE r AS RANGE (subtype = t): r and its multirange, both of element t."""
        name = stmt.typeName[-1].sval
        params = {p.defname.lower(): p.arg for p in stmt.params or ()}
        subtype = params.get("subtype")
        if subtype is None:
            raise CodegenError(f'range type "{name}": subtype is required', source, 0)
        multi = params.get("multirange_type_name")
        self.ranges[name] = type_name(subtype, self.types, source)
        multi_name = multi.names[-1].sval if multi is not None else multirange_name(name)
        self.ranges[multi_name] = self.ranges[name]

    # -- indexes and views ------------------------------------------------------------

    def create_index(self, stmt: Any, source: SourceText) -> None:
        table = self.table(stmt.relation, source)
        assert table is not None
        cols = tuple(e.name if e.name else None for e in stmt.indexParams)
        for col in cols:
            if col is not None and table.column(col) is None:
                raise CodegenError(
                    f'column "{col}" named in index does not exist', source, stmt.relation.location
                )
        names = tuple(c or "expr" for c in cols)
        self.indexes.append(
            Index(
                stmt.idxname or default_name(table.name, names, "idx"),
                table.name,
                cols,
                bool(stmt.unique),
                stmt.whereClause is not None,
            )
        )

    def create_view(self, stmt: Any, source: SourceText) -> None:
        name = rel_name(stmt.view, source)
        if name in self.tables and not stmt.replace:
            raise CodegenError(f'relation "{name}" already exists', source, stmt.view.location)
        if self.view_columns is None:
            return
        cols = self.view_columns(self.freeze(), stmt.query, source)
        if stmt.aliases:
            aliases = [a.sval for a in stmt.aliases]
            cols = tuple(
                replace(c, name=aliases[i]) if i < len(aliases) else c for i, c in enumerate(cols)
            )
        self.tables[name] = Table(name, cols, is_view=True)

    def create_table_as(self, stmt: Any, source: SourceText) -> None:
        """CREATE MATERIALIZED VIEW / CREATE TABLE AS: columns from the query. A table made
        so takes any row later, so its columns are nullable; a materialized view keeps the
        query's nullability."""
        name = rel_name(stmt.into.rel, source)
        if name in self.tables:
            if stmt.if_not_exists:
                return
            raise CodegenError(f'relation "{name}" already exists', source, stmt.into.rel.location)
        if self.view_columns is None:
            return
        cols = self.view_columns(self.freeze(), stmt.query, source)
        aliases = [a.sval for a in stmt.into.colNames or ()]
        cols = tuple(
            replace(c, name=aliases[i]) if i < len(aliases) else c for i, c in enumerate(cols)
        )
        matview = stmt.objtype == ObjectType.OBJECT_MATVIEW
        if not matview:
            cols = tuple(replace(c, not_null=False, has_default=False) for c in cols)
        self.tables[name] = Table(name, cols, is_view=matview)

    def set_schema(self, stmt: Any, source: SourceText) -> None:
        """ALTER ... SET SCHEMA: moving a relation or type out of public is not modelled."""
        if stmt.objectType in (*_RELATIONS, ObjectType.OBJECT_TYPE) and stmt.newschema != "public":
            raise CodegenError(
                f"SET SCHEMA {stmt.newschema}: only the public schema is supported", source, 0
            )


def _with_keys(c: Any, keys: tuple[str, ...]) -> Any:
    return ast.Constraint(
        contype=c.contype,
        conname=c.conname,
        keys=[ast.String(k) for k in keys],
        location=c.location,
    )


def _with_fk_attrs(c: Any, column: str) -> Any:
    return ast.Constraint(
        contype=c.contype,
        conname=c.conname,
        pktable=c.pktable,
        fk_attrs=[ast.String(column)],
        pk_attrs=c.pk_attrs,
        fk_del_action=c.fk_del_action,
        location=c.location,
    )


Handler = Callable[[Builder, Any, SourceText], None]

# Every statement class a migration may hold: its handler, or None for "PostgreSQL accepts
# it and it changes no type the generated code uses". Anything else is an error naming it.
STATEMENTS: dict[type, Handler | None] = {
    ast.CreateStmt: Builder.create_table,
    ast.AlterTableStmt: Builder.alter_table,
    ast.RenameStmt: Builder.rename,
    ast.DropStmt: Builder.drop,
    ast.CreateEnumStmt: Builder.create_enum,
    ast.AlterEnumStmt: Builder.alter_enum,
    ast.CreateRangeStmt: Builder.create_range,
    ast.IndexStmt: Builder.create_index,
    ast.ViewStmt: Builder.create_view,
    ast.CreateTableAsStmt: Builder.create_table_as,
    ast.AlterObjectSchemaStmt: Builder.set_schema,
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
    **dict.fromkeys((ast.CreateFunctionStmt, ast.AlterFunctionStmt, ast.DoStmt), None),
    **dict.fromkeys((ast.CreateTrigStmt, ast.CreateEventTrigStmt, ast.AlterEventTrigStmt), None),
    **dict.fromkeys((ast.RuleStmt, ast.DefineStmt, ast.CreateCastStmt, ast.CallStmt), None),
    **dict.fromkeys((ast.CreateOpClassStmt, ast.CreateOpFamilyStmt, ast.AlterOpFamilyStmt), None),
    **dict.fromkeys((ast.AlterOperatorStmt, ast.CreateConversionStmt), None),
    # schemas, extensions, sequences, statistics, maintenance, session and transactions
    **dict.fromkeys((ast.CreateSchemaStmt, ast.CreateExtensionStmt, ast.AlterExtensionStmt), None),
    **dict.fromkeys((ast.CreateSeqStmt, ast.AlterSeqStmt, ast.CreateStatsStmt), None),
    **dict.fromkeys((ast.AlterStatsStmt, ast.ClusterStmt, ast.VacuumStmt, ast.ReindexStmt), None),
    **dict.fromkeys((ast.VariableSetStmt, ast.TransactionStmt, ast.LockStmt), None),
    **dict.fromkeys((ast.ConstraintsSetStmt, ast.NotifyStmt, ast.CheckPointStmt), None),
    **dict.fromkeys((ast.CreatePublicationStmt, ast.AlterPublicationStmt), None),
}


def _apply(builder: Builder, stmt: Any, source: SourceText, offset: int) -> None:
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


def build(files: Iterable[tuple[str, str]], view_columns: ViewColumns | None = None) -> Catalog:
    """Replay migrations given as (path, text) pairs in order."""
    builder = Builder(view_columns)
    names = []
    for path, text in files:
        source = SourceText(path, text)
        names.append(path)
        try:
            stmts = pglast.parse_sql(text)
        except ParseError as exc:
            offset = parse_error_offset(exc, len(text))
            raise CodegenError(str(exc.args[0]), source, offset) from None
        for raw in stmts:
            start = _statement_start(text, raw.stmt_location or 0)
            try:
                _apply(builder, raw.stmt, source, start)
            except CodegenError as err:
                if err.offset == 0:
                    err.offset = start
                raise
    return builder.freeze(names)


def _statement_start(text: str, offset: int) -> int:
    """The statement's first token: pglast's location includes the whitespace before it."""
    return len(text) - len(text[offset:].lstrip())
