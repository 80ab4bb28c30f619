"""CREATE TABLE (with INHERITS, PARTITION OF and LIKE), columns, keys, indexes and views.

Column order follows PostgreSQL: a partition has its parent's columns; inherited columns
come first (a local column of the same name merges into the inherited one, NOT NULL and
default from either); `LIKE t` copies t's columns where it stands — NOT NULL always,
defaults only with INCLUDING DEFAULTS/IDENTITY/GENERATED (or ALL).
"""

from __future__ import annotations

from dataclasses import replace

from pglast import ast
from pglast.enums import ConstrType, ImportForeignSchemaType, ObjectType, TableLikeOption

from codegen.catalog import checks, depends, immutable, versioned
from codegen.catalog.builder import Builder, relation_exists
from codegen.catalog.index_methods import index_method
from codegen.catalog.model import Column, ForeignKey, Index, Table, ViewQuery
from codegen.catalog.names import declared_domain, default_name, type_of
from codegen.errors import CodegenError, SourceText, SqlState, Unsupported
from codegen.parse.nodes import node, present, svals
from codegen.pgtypes import SERIALS

_DEFAULT_KINDS = (
    ConstrType.CONSTR_DEFAULT,
    ConstrType.CONSTR_IDENTITY,
    ConstrType.CONSTR_GENERATED,
)
_LIKE_DEFAULTS = (
    TableLikeOption.CREATE_TABLE_LIKE_DEFAULTS
    | TableLikeOption.CREATE_TABLE_LIKE_IDENTITY
    | TableLikeOption.CREATE_TABLE_LIKE_GENERATED
)


def create_table(b: Builder, stmt: ast.CreateStmt, source: SourceText) -> None:
    rv = present(stmt.relation)
    name = b.rel_key(rv, source)
    if name in b.tables:
        if stmt.if_not_exists:
            return
        raise relation_exists(name, source, rv.location)
    table = Table(name, ())
    for parent in stmt.inhRelations or ():  # PARTITION OF (one parent) or INHERITS
        found = b.table(node(parent, ast.RangeVar), source)
        assert found is not None
        table = _inherit(table, found)
        if stmt.partbound is not None:
            table = replace(table, partition_of=found.name)
    elements = stmt.tableElts or ()
    for elt in elements:
        if isinstance(elt, ast.ColumnDef):
            existing = table.column(present(elt.colname)) if stmt.inhRelations else None
            if existing is not None:
                table = _merge_column(b, table, existing, elt, source)
            else:
                table = add_column(b, table, elt, source)
        elif isinstance(elt, ast.TableLikeClause):
            table = _like(b, table, elt, source)
    # Table constraints may be written before the columns they name.
    for elt in elements:
        if isinstance(elt, ast.Constraint):
            table = add_constraint(b, table, elt, source)
    b.tables[name] = table
    immutable.check_columns(b, table, elements, source)
    immutable.check_partition_key(b, table, stmt.partspec, source)


def _inherit(table: Table, parent: Table) -> Table:
    cols = list(table.columns)
    for col in parent.columns:
        old = table.column(col.name)
        if old is None:
            cols.append(replace(col, generated=_inherited(col)))
        else:
            merged = replace(
                old,
                not_null=old.not_null or col.not_null,
                has_default=old.has_default or col.has_default,
                generated=old.generated or _inherited(col),
            )
            cols = [merged if c.name == col.name else c for c in cols]
    inherited = tuple(k for k in parent.checks if k.name not in {c.name for c in table.checks})
    return replace(table, columns=tuple(cols), checks=(*table.checks, *inherited))


def _inherited(col: Column) -> str:
    """What a child table keeps of a parent column's GENERATED ALWAYS: the expression of a
    generated column, not an identity (a partition or child of PostgreSQL 15/16 gets a
    plain column, written freely)."""
    return col.generated if col.generated == "expression" else ""


def _like(b: Builder, table: Table, like: ast.TableLikeClause, source: SourceText) -> Table:
    rv = present(like.relation)
    found = b.table(rv, source)
    assert found is not None
    options = like.options or 0
    defaults = bool(options & _LIKE_DEFAULTS)
    cols = list(table.columns)
    for col in found.columns:
        if table.column(col.name) is not None:
            raise CodegenError(
                f'column "{col.name}" specified more than once',
                source,
                rv.location,
                sqlstate=SqlState.DUPLICATE_COLUMN,
            )
        kept = {
            "identity": options & TableLikeOption.CREATE_TABLE_LIKE_IDENTITY,
            "expression": options & TableLikeOption.CREATE_TABLE_LIKE_GENERATED,
        }
        generated = col.generated if kept.get(col.generated) else ""
        cols.append(replace(col, has_default=col.has_default and defaults, generated=generated))
    table = replace(table, columns=tuple(cols))
    if options & TableLikeOption.CREATE_TABLE_LIKE_INDEXES:
        table = _copy_keys(b, table, found)
    return table


def _copy_keys(b: Builder, table: Table, source_table: Table) -> Table:
    """LIKE ... INCLUDING INDEXES: the primary key, unique constraints and the other
    indexes (unique or not, on expressions, partial) come along."""
    bare = table.name.rpartition(".")[2]
    constraints = {source_table.primary_key, *source_table.unique}
    own = [i for i in b.indexes if i.table == source_table.name]
    for i in [i for i in own if i.columns not in constraints]:
        name = default_name(bare, (c or "expr" for c in i.columns), "idx")
        b.indexes.append(replace(i, name=name, table=table.name))
    if source_table.primary_key:
        table = replace(table, primary_key=source_table.primary_key)
        b.indexes.append(Index(f"{bare}_pkey", table.name, source_table.primary_key, True, False))
    for keys in source_table.unique:
        table = replace(table, unique=(*table.unique, keys))
        b.indexes.append(Index(default_name(bare, keys, "key"), table.name, keys, True, False))
    return table


def _flags(col: ast.ColumnDef, old: Column) -> Column:
    """NOT NULL, "has a default" and GENERATED ALWAYS after a column definition's own
    constraints, on top of `old` (what the type or a parent gave)."""
    not_null = old.not_null or bool(col.is_not_null)
    has_default, generated = old.has_default, old.generated
    for c in _constraints(col):
        if c.contype in (ConstrType.CONSTR_NOTNULL, ConstrType.CONSTR_PRIMARY):
            not_null = True
        elif c.contype == ConstrType.CONSTR_NULL:
            not_null = False
        elif c.contype in _DEFAULT_KINDS:
            has_default = True
            not_null = not_null or c.contype == ConstrType.CONSTR_IDENTITY
            generated = generated_kind(c) or generated
    return replace(old, not_null=not_null, has_default=has_default, generated=generated)


def _constraints(col: ast.ColumnDef) -> list[ast.Constraint]:
    return [node(c, ast.Constraint) for c in col.constraints or ()]


def generated_kind(c: object) -> str:
    """A constraint's GENERATED ALWAYS kind (see Column.generated); "" for BY DEFAULT."""
    c = node(c, ast.Constraint)
    if c.contype == ConstrType.CONSTR_GENERATED:
        return "expression"
    if c.contype == ConstrType.CONSTR_IDENTITY and c.generated_when == "a":
        return "identity"
    return ""


def add_column(b: Builder, table: Table, col: ast.ColumnDef, source: SourceText) -> Table:
    colname = present(col.colname)
    if table.column(colname):
        raise CodegenError(
            f'column "{col.colname}" specified more than once',
            source,
            col.location,
            sqlstate=SqlState.DUPLICATE_COLUMN,
        )
    versioned.check_column(b.version, col, source)
    raw = svals(present(col.typeName).names)[-1]
    typ = type_of(b, col.typeName, source)
    mods = checks.type_modifiers(present(col.typeName))
    domain = declared_domain(b, col.typeName)
    column = Column(colname, typ, raw in SERIALS, raw in SERIALS, modifiers=mods, domain=domain)
    column = _flags(col, column)
    return _column_keys(b, replace(table, columns=(*table.columns, column)), col, source)


def _merge_column(
    b: Builder, table: Table, old: Column, col: ast.ColumnDef, source: SourceText
) -> Table:
    """A column given again under INHERITS or PARTITION OF: its constraints apply."""
    new = _flags(col, old)
    table = replace(table, columns=tuple(new if c.name == old.name else c for c in table.columns))
    return _column_keys(b, table, col, source)


def _column_keys(b: Builder, table: Table, col: ast.ColumnDef, source: SourceText) -> Table:
    """PRIMARY KEY, UNIQUE, REFERENCES and CHECK written on a column."""
    colname = present(col.colname)
    for c in _constraints(col):
        if c.contype == ConstrType.CONSTR_CHECK:
            table = checks.add_check(table, c)
        elif c.contype in (ConstrType.CONSTR_PRIMARY, ConstrType.CONSTR_UNIQUE):
            table = add_constraint(b, table, _with_keys(c, (colname,)), source)
        elif c.contype == ConstrType.CONSTR_FOREIGN:
            table = add_constraint(b, table, _with_fk_attrs(c, colname), source)
    return table


def add_constraint(b: Builder, table: Table, c: ast.Constraint, source: SourceText) -> Table:
    versioned.check_constraint(b.version, c, source)
    if c.contype in (ConstrType.CONSTR_PRIMARY, ConstrType.CONSTR_UNIQUE):
        return _add_key(b, table, c, source)
    if c.contype == ConstrType.CONSTR_FOREIGN:
        return _add_foreign_key(b, table, c, source)
    if c.contype == ConstrType.CONSTR_CHECK:
        return checks.add_check(table, c)
    return table  # EXCLUDE, NOT NULL as a table constraint: not tracked


def _add_key(b: Builder, table: Table, c: ast.Constraint, source: SourceText) -> Table:
    keys = tuple(svals(c.keys))
    if c.indexname:  # `... UNIQUE USING INDEX i`: the index becomes the constraint's
        keys = _adopt_index(b, table, c, source)
    for k in keys:
        if table.column(k) is None:
            raise CodegenError(
                f'column "{k}" named in key does not exist',
                source,
                c.location,
                sqlstate=SqlState.UNDEFINED_COLUMN,
            )
    if c.contype == ConstrType.CONSTR_PRIMARY:
        cols = tuple(
            replace(col, not_null=True) if col.name in keys else col for col in table.columns
        )
        table = replace(table, columns=cols, primary_key=keys)
    else:
        table = replace(table, unique=(*table.unique, keys))
    suffix = "pkey" if c.contype == ConstrType.CONSTR_PRIMARY else "key"
    bare = table.name.rpartition(".")[2]
    name = c.conname or default_name(bare, () if suffix == "pkey" else keys, suffix)
    b.indexes.append(Index(name, table.name, keys, True, False))
    return table


def _adopt_index(
    b: Builder, table: Table, c: ast.Constraint, source: SourceText
) -> tuple[str, ...]:
    """The columns of the unique index a constraint is made from; PostgreSQL renames the
    index to the constraint's name, so the catalog forgets it under its old name."""
    index = next((i for i in b.indexes if i.table == table.name and i.name == c.indexname), None)
    if index is None or not index.unique or None in index.columns:
        raise CodegenError(
            f'"{c.indexname}" is not a unique index on columns of {table.name}', source, c.location
        )
    b.indexes.remove(index)
    return tuple(col for col in index.columns if col is not None)


def _add_foreign_key(b: Builder, table: Table, c: ast.Constraint, source: SourceText) -> Table:
    pktable = present(c.pktable)
    ref = b.rel_key(pktable, source)  # the table itself, first on the search_path
    if ref != table.name:
        ref = b.find_key(pktable.schemaname, present(pktable.relname)) or ref
    ref_table = table if ref == table.name else b.tables.get(ref)
    if ref_table is None:
        raise CodegenError(
            f'relation "{ref}" referenced by a foreign key does not exist',
            source,
            pktable.location,
            sqlstate=SqlState.UNDEFINED_TABLE,
        )
    fk_cols = tuple(svals(c.fk_attrs))
    refs = tuple(svals(c.pk_attrs))
    for col_name in fk_cols:
        if table.column(col_name) is None:
            raise CodegenError(
                f'column "{col_name}" referenced in foreign key does not exist',
                source,
                c.location,
                sqlstate=SqlState.UNDEFINED_COLUMN,
            )
    fk = ForeignKey(
        fk_cols,
        ref,
        refs or ref_table.primary_key,
        c.fk_del_action or "a",
        present(c.location),
        source,
        c.conname or default_name(table.name.rpartition(".")[2], fk_cols, "fkey"),
    )
    return replace(table, foreign_keys=(*table.foreign_keys, fk))


def _with_keys(c: ast.Constraint, keys: tuple[str, ...]) -> ast.Constraint:
    return ast.Constraint(
        contype=c.contype,
        conname=c.conname,
        keys=[ast.String(k) for k in keys],
        location=c.location,
    )


def _with_fk_attrs(c: ast.Constraint, column: str) -> ast.Constraint:
    return ast.Constraint(
        contype=c.contype,
        conname=c.conname,
        pktable=c.pktable,
        fk_attrs=[ast.String(column)],
        pk_attrs=c.pk_attrs,
        fk_del_action=c.fk_del_action,
        location=c.location,
    )


def create_index(b: Builder, stmt: ast.IndexStmt, source: SourceText) -> None:
    rv = present(stmt.relation)
    table = b.table(rv, source)
    assert table is not None
    params = [node(e, ast.IndexElem) for e in present(stmt.indexParams)]
    cols = tuple(e.name if e.name else None for e in params)
    for col in cols:
        if col is not None and table.column(col) is None:
            raise CodegenError(
                f'column "{col}" named in index does not exist',
                source,
                rv.location,
                sqlstate=SqlState.UNDEFINED_COLUMN,
            )
    names = tuple(c or "expr" for c in cols)
    exprs = [e.expr for e in params if e.expr is not None]
    immutable.check_index(b, table, stmt, source)
    opclasses = index_method(b, stmt, table, source)
    b.indexes.append(
        Index(
            stmt.idxname or default_name(table.name.rpartition(".")[2], names, "idx"),
            table.name,
            cols,
            bool(stmt.unique),
            stmt.whereClause is not None,
            checks.column_names([*exprs, stmt.whereClause]),
            stmt.accessMethod or "btree",
            opclasses,
        )
    )


def _query_columns(
    b: Builder, name: str, query: ast.Node | None, aliases: object, source: SourceText
) -> ViewQuery | None:
    """The columns of a view's or CREATE TABLE AS's query, renamed by its column list.
    A query the analyzer cannot type leaves the relation untyped (None, the reason in
    `b.untyped`): only queries that read it fail, each saying why."""
    b.untyped.pop(name, None)
    if b.view_columns is None:
        return None
    try:
        analysed = b.view_columns(b.freeze(), present(query), source)
    except Unsupported as exc:  # PostgreSQL's own errors still fail the schema
        where = exc.location
        at = f" at {where[0]}:{where[1]}:{where[2]}" if where else ""
        b.untyped[name] = f"its query{at} cannot be typed: {exc.message}"
        b.tables.pop(name, None)
        b.dependents.pop(name, None)
        return None
    names = svals(aliases if isinstance(aliases, (list, tuple)) else ())
    cols = analysed.columns
    renamed = (replace(c, name=names[i]) if i < len(names) else c for i, c in enumerate(cols))
    return replace(analysed, columns=tuple(renamed))


def create_view(b: Builder, stmt: ast.ViewStmt, source: SourceText) -> None:
    rv = present(stmt.view)
    name = b.rel_key(rv, source)
    if (name in b.tables or name in b.untyped) and not stmt.replace:
        raise relation_exists(name, source, rv.location)
    view = _query_columns(b, name, stmt.query, stmt.aliases, source)
    if view is None:
        return
    old = b.tables.get(name)
    if old is not None:
        _replaceable(old.columns, view.columns, source)
    b.tables[name] = Table(name, view.columns, is_view=True, definition=b.statement)
    b.dependents[name] = depends.Dependent("view", view.uses)


def _replaceable(old: tuple[Column, ...], new: tuple[Column, ...], source: SourceText) -> None:
    """CREATE OR REPLACE VIEW keeps the view's columns (names, types, order) and may only
    add columns after them, as PostgreSQL requires."""
    if len(new) < len(old):
        raise CodegenError("cannot drop columns from view", source)
    for was, now in zip(old, new, strict=False):
        if was.name != now.name:
            raise CodegenError(
                f'cannot change name of view column "{was.name}" to "{now.name}" (use ALTER '
                "VIEW ... RENAME COLUMN ... to change name of view column instead)",
                source,
            )
        if was.type != now.type:
            raise CodegenError(
                f'cannot change data type of view column "{was.name}" from {was.type} to '
                f"{now.type}",
                source,
            )


def import_foreign_schema(
    b: Builder, stmt: ast.ImportForeignSchemaStmt, source: SourceText
) -> None:
    """IMPORT FOREIGN SCHEMA: the columns come from the remote server, not from the SQL, so
    the tables it names (`LIMIT TO (...)`) are untyped: a query reading one is refused."""
    if stmt.list_type != ImportForeignSchemaType.FDW_IMPORT_SCHEMA_LIMIT_TO:
        return  # which tables arrive is known only to the remote server
    for rv in stmt.table_list or ():
        rv = node(rv, ast.RangeVar)
        key = b.key(stmt.local_schema, present(rv.relname), source, rv.location)
        b.untyped[key] = (
            f"IMPORT FOREIGN SCHEMA {stmt.remote_schema} brings its columns from server "
            f"{stmt.server_name}, not from the SQL; declare it with CREATE FOREIGN TABLE"
        )


def create_table_as(b: Builder, stmt: ast.CreateTableAsStmt, source: SourceText) -> None:
    """CREATE MATERIALIZED VIEW / CREATE TABLE AS: columns from the query. A table made
    so takes any row later, so its columns are nullable; a materialized view keeps the
    query's nullability."""
    into = present(stmt.into)
    rv = present(into.rel)
    name = b.rel_key(rv, source)
    if name in b.tables:
        if stmt.if_not_exists:
            return
        raise relation_exists(name, source, rv.location)
    view = _query_columns(b, name, stmt.query, into.colNames, source)
    if view is None:
        return
    cols = view.columns
    matview = stmt.objtype == ObjectType.OBJECT_MATVIEW
    if matview:
        b.dependents[name] = depends.Dependent("materialized view", view.uses)
    if not matview:
        cols = tuple(replace(c, not_null=False, has_default=False) for c in cols)
    b.tables[name] = Table(name, cols, is_view=matview, definition=b.statement if matview else "")
