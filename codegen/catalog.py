"""Stage 2 — catalog: replay the migrations in `schema/` to learn tables, views and enums.

The migrations are the single source of truth for the schema: models are derived from
them, never declared a second time (seed 003). We replay DDL statically, in yoyo's
order (by file name; `*.rollback.sql` skipped), with PostgreSQL's parser; statements that
do not change the shape of data (DML, comments, grants, functions) are passed over.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pglast
from pglast import ast as _ast
from pglast.enums import AlterTableType, ConstrType, ObjectType
from pglast.parser import ParseError

from codegen.errors import CodegenError, SourceText, parse_error_offset
from codegen.pgtypes import ALIASES, SERIALS, TypeSpace

# pglast types every AST field as Optional; the analyzer checks shapes itself.
ast: Any = _ast


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    not_null: bool
    has_default: bool = False


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    on_delete: str  # a: no action, r: restrict, c: cascade, n: set null, d: set default
    offset: int
    path: str
    name: str = ""  # the constraint's name, PostgreSQL's default when not given


@dataclass(frozen=True)
class Index:
    name: str
    table: str
    columns: tuple[str | None, ...]  # None for an expression
    unique: bool
    partial: bool


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    unique: tuple[tuple[str, ...], ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    is_view: bool = False

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


@dataclass(frozen=True)
class Enum:
    name: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Catalog:
    tables: dict[str, Table] = field(default_factory=dict)
    enums: dict[str, Enum] = field(default_factory=dict)
    indexes: tuple[Index, ...] = ()
    migrations: tuple[str, ...] = ()

    @property
    def types(self) -> TypeSpace:
        return TypeSpace(frozenset(self.enums))


# A view's columns come from analysing its query, which is the next stage's job; the
# pipeline passes that function in so the stages stay in order.
ViewColumns = Callable[[Catalog, Any, SourceText], tuple[Column, ...]]


def migration_files(schema_dir: Path) -> list[Path]:
    """yoyo applies forward migrations in file-name order; rollbacks are not schema."""
    return sorted(p for p in schema_dir.glob("*.sql") if not p.name.endswith(".rollback.sql"))


def type_name(node: Any, types: TypeSpace, source: SourceText) -> str:
    names = [n.sval for n in node.names]
    if names and names[0] == "pg_catalog":
        names = names[1:]
    if len(names) > 1:
        if names[0] != "public":
            raise CodegenError(
                f"type {'.'.join(names)}: only pg_catalog and public types are supported",
                source,
                node.location,
            )
        names = names[1:]
    name = names[-1].lower()
    name = ALIASES.get(name, name)
    if not types.known(name):
        raise CodegenError(f'type "{names[-1]}" does not exist', source, node.location)
    if node.arrayBounds:
        return types.array_of(name)
    return str(name)


def _rel_name(rv: Any, source: SourceText) -> str:
    if rv.schemaname not in (None, "public"):
        raise CodegenError(
            f"relation {rv.schemaname}.{rv.relname}: only the public schema is supported",
            source,
            rv.location,
        )
    name: str = rv.relname
    return name


class _Builder:
    """Mutable state while replaying; frozen into a Catalog at the end."""

    def __init__(self, view_columns: ViewColumns | None) -> None:
        self.tables: dict[str, Table] = {}
        self.enums: dict[str, Enum] = {}
        self.indexes: list[Index] = []
        self.view_columns = view_columns

    def freeze(self, migrations: Iterable[str] = ()) -> Catalog:
        live = [i for i in self.indexes if i.table in self.tables]
        return Catalog(dict(self.tables), dict(self.enums), tuple(live), tuple(migrations))

    @property
    def types(self) -> TypeSpace:
        return TypeSpace(frozenset(self.enums))

    def table(self, rv: Any, source: SourceText, missing_ok: bool = False) -> Table | None:
        name = _rel_name(rv, source)
        table = self.tables.get(name)
        if table is None and not missing_ok:
            raise CodegenError(f'relation "{name}" does not exist', source, rv.location)
        return table

    # -- statements ---------------------------------------------------------------

    def apply(self, stmt: Any, source: SourceText) -> None:
        handler = getattr(self, "_" + type(stmt).__name__, None)
        if handler is not None:
            handler(stmt, source)

    def _CreateStmt(self, stmt: Any, source: SourceText) -> None:
        name = _rel_name(stmt.relation, source)
        if name in self.tables:
            if stmt.if_not_exists:
                return
            raise CodegenError(f'relation "{name}" already exists', source, stmt.relation.location)
        table = Table(name, ())
        for elt in stmt.tableElts or ():
            if isinstance(elt, ast.ColumnDef):
                table = self._add_column(table, elt, source)
            elif isinstance(elt, ast.Constraint):
                table = self._add_constraint(table, elt, source)
        self.tables[name] = table

    def _add_column(self, table: Table, col: Any, source: SourceText) -> Table:
        if table.column(col.colname):
            raise CodegenError(
                f'column "{col.colname}" specified more than once', source, col.location
            )
        raw = col.typeName.names[-1].sval.lower()
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
                c = _with_keys(c, (col.colname,))
                table = self._add_constraint(table, c, source)
            elif c.contype == ConstrType.CONSTR_FOREIGN:
                table = self._add_constraint(table, _with_fk_attrs(c, col.colname), source)
        return table

    def _add_constraint(self, table: Table, c: Any, source: SourceText) -> Table:
        kind = c.contype
        if kind in (ConstrType.CONSTR_PRIMARY, ConstrType.CONSTR_UNIQUE):
            keys = tuple(k.sval for k in c.keys or ())
            for k in keys:
                if table.column(k) is None:
                    raise CodegenError(
                        f'column "{k}" named in key does not exist', source, c.location
                    )
            if kind == ConstrType.CONSTR_PRIMARY:
                cols = tuple(
                    replace(col, not_null=True) if col.name in keys else col
                    for col in table.columns
                )
                table = replace(table, columns=cols, primary_key=keys)
            else:
                table = replace(table, unique=(*table.unique, keys))
            suffix = "pkey" if kind == ConstrType.CONSTR_PRIMARY else "key"
            name = c.conname or default_name(table.name, () if suffix == "pkey" else keys, suffix)
            self.indexes.append(Index(name, table.name, keys, True, False))
        elif kind == ConstrType.CONSTR_FOREIGN:
            ref = _rel_name(c.pktable, source)
            ref_table = table if ref == table.name else self.tables.get(ref)
            if ref_table is None:
                raise CodegenError(
                    f'relation "{ref}" referenced by a foreign key does not exist',
                    source,
                    c.pktable.location,
                )
            fk_cols: tuple[str, ...] = tuple(a.sval for a in c.fk_attrs or ())
            refs: tuple[str, ...] = tuple(a.sval for a in c.pk_attrs or ())
            refs = refs or ref_table.primary_key
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
                refs,
                c.fk_del_action or "a",
                c.location,
                source.path,
                c.conname or default_name(table.name, fk_cols, "fkey"),
            )
            table = replace(table, foreign_keys=(*table.foreign_keys, fk))
        return table

    def _AlterTableStmt(self, stmt: Any, source: SourceText) -> None:
        if stmt.objtype not in (ObjectType.OBJECT_TABLE, None):
            return
        table = self.table(stmt.relation, source, missing_ok=bool(stmt.missing_ok))
        if table is None:
            return
        for cmd in stmt.cmds or ():
            table = self._alter(table, cmd, source, stmt.relation.location)
        self.tables[table.name] = table

    def _alter(self, table: Table, cmd: Any, source: SourceText, loc: int) -> Table:
        sub = cmd.subtype
        if sub == AlterTableType.AT_AddColumn:
            if table.column(cmd.def_.colname) and cmd.missing_ok:
                return table
            return self._add_column(table, cmd.def_, source)
        if sub == AlterTableType.AT_AddConstraint:
            return self._add_constraint(table, cmd.def_, source)
        if sub == AlterTableType.AT_DropConstraint:
            return self._drop_constraint(table, cmd)
        name = cmd.name
        col = table.column(name) if name else None
        if name and col is None:
            if cmd.missing_ok:
                return table
            raise CodegenError(
                f'column "{name}" of relation "{table.name}" does not exist', source, loc
            )
        if sub == AlterTableType.AT_DropColumn:
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
        assert col is not None
        if sub == AlterTableType.AT_SetNotNull:
            new = replace(col, not_null=True)
        elif sub == AlterTableType.AT_DropNotNull:
            new = replace(col, not_null=False)
        elif sub == AlterTableType.AT_ColumnDefault:
            new = replace(col, has_default=cmd.def_ is not None)
        elif sub == AlterTableType.AT_AlterColumnType:
            new = replace(col, type=type_name(cmd.def_.typeName, self.types, source))
        elif sub in (AlterTableType.AT_AddIdentity, AlterTableType.AT_DropIdentity):
            new = replace(col, has_default=sub == AlterTableType.AT_AddIdentity)
        else:
            return table
        return replace(table, columns=tuple(new if c.name == name else c for c in table.columns))

    def _drop_constraint(self, table: Table, cmd: Any) -> Table:
        """Forget a foreign key, primary key or unique constraint (by name, as named above)."""
        name = cmd.name
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

    def _RenameStmt(self, stmt: Any, source: SourceText) -> None:
        kind = stmt.renameType
        if kind in (ObjectType.OBJECT_TABLE, ObjectType.OBJECT_VIEW):
            table = self.table(stmt.relation, source, missing_ok=bool(stmt.missing_ok))
            if table is None:
                return
            del self.tables[table.name]
            self.tables[stmt.newname] = replace(table, name=stmt.newname)
            for other in list(self.tables.values()):
                if any(f.ref_table == table.name for f in other.foreign_keys):
                    fks = tuple(
                        replace(f, ref_table=stmt.newname) if f.ref_table == table.name else f
                        for f in other.foreign_keys
                    )
                    self.tables[other.name] = replace(other, foreign_keys=fks)
            self.indexes = [
                replace(i, table=stmt.newname) if i.table == table.name else i for i in self.indexes
            ]
        elif kind == ObjectType.OBJECT_COLUMN:
            table = self.table(stmt.relation, source, missing_ok=bool(stmt.missing_ok))
            if table is None:
                return
            if table.column(stmt.subname) is None:
                raise CodegenError(
                    f'column "{stmt.subname}" does not exist', source, stmt.relation.location
                )
            old, new = stmt.subname, stmt.newname

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

    def _DropStmt(self, stmt: Any, source: SourceText) -> None:
        kind = stmt.removeType
        for obj in stmt.objects or ():
            if kind in (ObjectType.OBJECT_TABLE, ObjectType.OBJECT_VIEW):
                name = obj[-1].sval
                if name not in self.tables and not stmt.missing_ok:
                    raise CodegenError(f'relation "{name}" does not exist', source, 0)
                self.tables.pop(name, None)
            elif kind == ObjectType.OBJECT_TYPE:
                name = obj.names[-1].sval
                self.enums.pop(name, None)
            elif kind == ObjectType.OBJECT_INDEX:
                name = obj[-1].sval
                self.indexes = [i for i in self.indexes if i.name != name]

    def _CreateEnumStmt(self, stmt: Any, source: SourceText) -> None:
        name = stmt.typeName[-1].sval
        self.enums[name] = Enum(name, tuple(v.sval for v in stmt.vals or ()))

    def _AlterEnumStmt(self, stmt: Any, source: SourceText) -> None:
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

    def _IndexStmt(self, stmt: Any, source: SourceText) -> None:
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

    def _ViewStmt(self, stmt: Any, source: SourceText) -> None:
        name = _rel_name(stmt.view, source)
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


def default_name(table: str, columns: Iterable[str], suffix: str) -> str:
    """The name PostgreSQL gives an unnamed constraint or index: chats_user_id_fkey.

    (PostgreSQL also shortens names past 63 bytes and numbers duplicates; not modelled.)
    """
    return "_".join([table, *columns, suffix])


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


def build(files: Iterable[tuple[str, str]], view_columns: ViewColumns | None = None) -> Catalog:
    """Replay migrations given as (path, text) pairs in order."""
    builder = _Builder(view_columns)
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
            try:
                builder.apply(raw.stmt, source)
            except CodegenError as err:
                if err.offset == 0:
                    err.offset = raw.stmt_location or 0
                raise
    return builder.freeze(names)
