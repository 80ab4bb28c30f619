"""Renames, drops and moves; enums, ranges and schemas.

DROP ... CASCADE removes what PostgreSQL removes with it that the catalog models, and
without CASCADE the replay refuses as PostgreSQL does when something depends on the object:
both by the rules of `depends` (views, foreign keys, indexes, columns of a type).
"""

from __future__ import annotations

from dataclasses import replace

from pglast import ast
from pglast.enums import DropBehavior, ObjectType

from codegen.catalog import attributes, checks, depends, routines
from codegen.catalog.builder import Builder, relation_exists
from codegen.catalog.model import Enum, Table, find_relation
from codegen.catalog.names import (
    declared_domain,
    find_type_key,
    multirange_name,
    split_name,
    type_key,
    type_of,
)
from codegen.errors import CodegenError, SourceText, SqlState
from codegen.parse.nodes import node, present, sval, svals
from codegen.pgtypes import array_key

_ROUTINES = (ObjectType.OBJECT_FUNCTION, ObjectType.OBJECT_PROCEDURE, ObjectType.OBJECT_ROUTINE)
RELATIONS = (
    ObjectType.OBJECT_TABLE,
    ObjectType.OBJECT_VIEW,
    ObjectType.OBJECT_MATVIEW,
    ObjectType.OBJECT_FOREIGN_TABLE,
)


# -- renames ------------------------------------------------------------------------------


def rename(b: Builder, stmt: ast.RenameStmt, source: SourceText) -> None:
    kind = stmt.renameType
    newname = present(stmt.newname)
    if kind in RELATIONS:
        rv = present(stmt.relation)
        table = b.table(rv, source, missing_ok=bool(stmt.missing_ok))
        if table is not None:
            schema = table.name.rpartition(".")[0] or None
            b.rekey_table(table, b.key(schema, newname, source, rv.location))
    elif kind == ObjectType.OBJECT_COLUMN:
        rv = present(stmt.relation)
        table = b.table(rv, source, missing_ok=bool(stmt.missing_ok))
        if table is None:
            return
        subname = present(stmt.subname)
        if table.column(subname) is None:
            raise CodegenError(
                f'column "{stmt.subname}" does not exist',
                source,
                rv.location,
                sqlstate=SqlState.UNDEFINED_COLUMN,
            )
        _rename_column(b, table, subname, newname)
    elif kind in (ObjectType.OBJECT_TYPE, ObjectType.OBJECT_DOMAIN):
        old = _user_type(b, svals(stmt.object))
        if old is not None:
            schema, dot, _ = old.rpartition(".")
            _rename_type(b, old, schema + dot + newname)
    elif kind == ObjectType.OBJECT_ATTRIBUTE:
        attributes.rename_attribute(b, stmt, source)
    elif kind in _ROUTINES:
        _rename_function(b, stmt, source)
    elif kind == ObjectType.OBJECT_SEQUENCE:
        _move_sequence(b, present(stmt.relation), None, newname, source)
    elif kind in (ObjectType.OBJECT_INDEX, ObjectType.OBJECT_TABCONSTRAINT):
        index = kind == ObjectType.OBJECT_INDEX
        old = present(stmt.relation).relname if index else stmt.subname
        b.indexes = [replace(i, name=newname) if i.name == old else i for i in b.indexes]
        if kind == ObjectType.OBJECT_TABCONSTRAINT:
            _rename_check(b, stmt, source)
    # other objects (triggers, schemas, policies, ...) have no type we model


# -- sequences ------------------------------------------------------------------------------


def create_sequence(b: Builder, stmt: ast.CreateSeqStmt, source: SourceText) -> None:
    """CREATE SEQUENCE: readable as a one-row relation (`SELECT last_value FROM s`)."""
    rv = present(stmt.sequence)
    key = b.rel_key(rv, source)
    if key in b.sequences or key in b.tables:
        if stmt.if_not_exists:
            return
        raise relation_exists(key, source, rv.location)
    b.sequences.add(key)


def _sequence_key(b: Builder, rv: ast.RangeVar) -> str | None:
    return find_relation(b.sequences, b.search_path, rv.schemaname, present(rv.relname))


def _move_sequence(
    b: Builder, rv: ast.RangeVar, schema: str | None, name: str | None, source: SourceText
) -> None:
    """ALTER SEQUENCE ... RENAME TO / SET SCHEMA."""
    old = _sequence_key(b, rv)
    if old is None:
        return  # IF EXISTS, or a sequence the replay never saw created (SERIAL's own)
    old_schema, _, bare = old.rpartition(".")
    new = b.key(schema or old_schema or "public", name or bare, source, rv.location)
    b.sequences.discard(old)
    b.sequences.add(new)


def _rename_function(b: Builder, stmt: ast.RenameStmt, source: SourceText) -> None:
    """ALTER FUNCTION f(args) RENAME TO g: the overload moves to the new name."""
    obj = node(stmt.object, ast.ObjectWithArgs)
    key = routines.function_key(b, svals(obj.objname), source)
    _move_function(b, obj, key.rpartition(".")[0] or "public", source, stmt.newname)


def _move_function(
    b: Builder, obj: ast.ObjectWithArgs, schema: str, source: SourceText, name: str | None = None
) -> None:
    """The overload `obj` names, moved to `schema` (and renamed to `name`); the views that
    call it follow."""
    key = routines.function_key(b, svals(obj.objname), source)
    named = set(routines.overloads(b, obj, source))
    moved = [f for f in b.functions.get(key, ()) if ("function", key, *f.args) in named]
    b.functions[key] = [f for f in b.functions.get(key, ()) if f not in moved]
    if not b.functions[key]:
        del b.functions[key]
    new_name = name or key.rpartition(".")[2]
    new = routines.function_key(b, [schema, new_name], source)
    b.functions[new] = [*b.functions.get(new, ()), *(replace(f, name=new_name) for f in moved)]
    for f in moved:
        depends.renamed(b, ("function", key, *f.args), ("function", new, *f.args))


def _rename_column(b: Builder, table: Table, old: str, new: str) -> None:
    def ren(names: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(new if n == old else n for n in names)

    b.tables[table.name] = replace(
        table,
        columns=tuple(replace(c, name=new) if c.name == old else c for c in table.columns),
        primary_key=ren(table.primary_key),
        unique=tuple(ren(u) for u in table.unique),
        foreign_keys=tuple(replace(f, columns=ren(f.columns)) for f in table.foreign_keys),
        checks=tuple(checks.rename_column(k, old, new) for k in table.checks),
    )
    b.indexes = [
        replace(i, columns=tuple(new if c == old else c for c in i.columns), uses=ren(i.uses))
        if i.table == table.name
        else i
        for i in b.indexes
    ]
    depends.renamed(b, ("column", table.name, old), ("column", table.name, new))


def _rename_check(b: Builder, stmt: ast.RenameStmt, source: SourceText) -> None:
    table = b.table(present(stmt.relation), source, missing_ok=True)
    if table is not None:
        renamed = (
            replace(k, name=present(stmt.newname)) if k.name == stmt.subname else k
            for k in table.checks
        )
        b.tables[table.name] = replace(table, checks=tuple(renamed))


def _user_type(b: Builder, names: list[str]) -> str | None:
    """The key of an existing enum, range, multirange, domain or composite type."""
    pool = {*b.enums, *b.ranges, *b.multiranges, *b.domains, *b.composites}
    return find_type_key(b.types, names, pool)


def _rename_type(b: Builder, old: str, new: str) -> None:
    """ALTER TYPE ... RENAME TO / SET SCHEMA: columns of the type (and of its array)
    follow it."""
    if old in b.enums:
        b.enums[new] = replace(b.enums.pop(old), name=new)
    elif old in b.ranges:
        b.ranges[new] = b.ranges.pop(old)
        b.multiranges = {m: new if r == old else r for m, r in b.multiranges.items()}
    elif old in b.multiranges:
        b.multiranges[new] = b.multiranges.pop(old)
    elif old in b.domains:
        b.domains[new] = b.domains.pop(old)  # columns hold the base type, and its name
        for table in list(b.tables.values()):
            cols = tuple(replace(c, domain=new) if c.domain == old else c for c in table.columns)
            b.tables[table.name] = replace(table, columns=cols)
        return
    elif old in b.composites:
        b.composites[new] = b.composites.pop(old)
        b.type_parts[new] = b.type_parts.pop(old, ())
    else:
        return
    depends.renamed(b, ("type", old), ("type", new))
    names = {old: new, array_key(old): array_key(new)}
    for table in list(b.tables.values()):
        cols = tuple(replace(c, type=names.get(c.type, c.type)) for c in table.columns)
        b.tables[table.name] = replace(table, columns=cols)
    _retype_functions(b, names)


def _retype_functions(b: Builder, names: dict[str, str]) -> None:
    """Functions taking or returning a renamed type name it anew; their own names stay (a
    range's constructors too, as PostgreSQL's do)."""

    def rt(t: str) -> str:
        return names.get(t, t)

    for key, overloads in b.functions.items():
        b.functions[key] = [
            replace(
                f,
                ret=rt(f.ret),
                args=tuple(map(rt, f.args)),
                out=tuple((n, rt(t)) for n, t in f.out),
            )
            for f in overloads
        ]
    b.constructors = {
        rt(k): tuple((*o[:2], *map(rt, o[2:])) for o in objs) for k, objs in b.constructors.items()
    }


def set_schema(b: Builder, stmt: ast.AlterObjectSchemaStmt, source: SourceText) -> None:
    """ALTER TABLE/VIEW/FUNCTION/TYPE/DOMAIN ... SET SCHEMA moves the relation, the overload
    or the type (and the columns of that type follow)."""
    newschema = present(stmt.newschema)
    if stmt.objectType in _ROUTINES:
        _move_function(b, node(stmt.object, ast.ObjectWithArgs), newschema, source)
    elif stmt.objectType in RELATIONS:
        rv = present(stmt.relation)
        table = b.table(rv, source, missing_ok=bool(stmt.missing_ok))
        if table is not None:
            bare = table.name.rpartition(".")[2]
            b.rekey_table(table, b.key(newschema, bare, source, rv.location))
    elif stmt.objectType == ObjectType.OBJECT_SEQUENCE:
        _move_sequence(b, present(stmt.relation), newschema, None, source)
    elif stmt.objectType in (ObjectType.OBJECT_TYPE, ObjectType.OBJECT_DOMAIN):
        old = _user_type(b, svals(stmt.object))
        if old is not None:
            bare = old.rpartition(".")[2]
            _rename_type(b, old, type_key(b, [newschema, bare], source))


# -- drops --------------------------------------------------------------------------------


def drop(b: Builder, stmt: ast.DropStmt, source: SourceText) -> None:
    kind = stmt.removeType
    cascade = stmt.behavior == DropBehavior.DROP_CASCADE
    together = _dropped_together(b, stmt)
    for obj in stmt.objects or ():
        if kind in RELATIONS:
            names = svals(obj)
            key = b.find_key(*split_name(names))
            untyped = find_relation(b.untyped, b.search_path, *split_name(names))
            if key is None and untyped is not None:
                del b.untyped[untyped]
                continue
            if key is None:
                if stmt.missing_ok or together:  # or dropped with one named before it
                    continue
                raise CodegenError(
                    f'relation "{".".join(names)}" does not exist',
                    source,
                    sqlstate=SqlState.UNDEFINED_TABLE,
                )
            depends.drop(b, ("relation", key), cascade, source, together)
        elif kind == ObjectType.OBJECT_SEQUENCE:
            names = svals(obj)
            found = find_relation(b.sequences, b.search_path, *split_name(names))
            b.sequences.discard(found or "")
        elif kind == ObjectType.OBJECT_TYPE:
            key = _user_type(b, svals(node(obj, ast.TypeName).names))
            if key is not None:
                depends.drop(b, ("type", key), cascade, source)
        elif kind in _ROUTINES:
            for overload in routines.overloads(b, node(obj, ast.ObjectWithArgs), source):
                depends.drop(b, overload, cascade, source)
        elif kind == ObjectType.OBJECT_EXTENSION:
            routines.drop_extension(b, sval(obj))
        elif kind == ObjectType.OBJECT_DOMAIN:
            key = find_type_key(b.types, svals(node(obj, ast.TypeName).names), b.domains)
            if key is not None:
                depends.drop(b, ("type", key), cascade, source)
        elif kind == ObjectType.OBJECT_INDEX:
            name = svals(obj)[-1]
            b.indexes = [i for i in b.indexes if i.name != name]
        elif kind == ObjectType.OBJECT_SCHEMA:
            _drop_schema(b, sval(obj), cascade, bool(stmt.missing_ok), source)


def _dropped_together(b: Builder, stmt: ast.DropStmt) -> frozenset[depends.Obj]:
    """The relations one DROP statement names: dependents of each other need no CASCADE."""
    if stmt.removeType not in RELATIONS:
        return frozenset()
    keys = [b.find_key(*split_name(svals(obj))) for obj in stmt.objects or ()]
    if None in keys:
        return frozenset()  # one is missing: the loop says so (or IF EXISTS skips it)
    return frozenset(("relation", k) for k in keys if k is not None)


def _drop_schema(
    b: Builder, name: str, cascade: bool, missing_ok: bool, source: SourceText
) -> None:
    if name not in b.schemas:
        if missing_ok:
            return
        raise CodegenError(
            f'schema "{name}" does not exist', source, sqlstate=SqlState.INVALID_SCHEMA_NAME
        )
    inside = [k for k in b.tables if k.startswith(name + ".")]
    if inside and not cascade:
        raise CodegenError(
            f'cannot drop schema "{name}": it holds "{inside[0]}" (use CASCADE)',
            source,
            sqlstate=SqlState.DEPENDENT_OBJECTS_STILL_EXIST,
        )
    for key in inside:
        depends.drop(b, ("relation", key), True, source)
    b.schemas.discard(name)


def create_schema(b: Builder, stmt: ast.CreateSchemaStmt, source: SourceText) -> None:
    if stmt.schemaElts:
        raise CodegenError(
            "CREATE SCHEMA with elements is not supported: create the schema, then its objects",
            source,
        )
    if stmt.schemaname:
        b.schemas.add(stmt.schemaname)


# -- columns and constraints (ALTER TABLE) ------------------------------------------------


def drop_constraint(b: Builder, table: Table, name: str) -> Table:
    """Forget a foreign key, primary key, unique or CHECK constraint (by name, as named above)."""
    table = replace(table, checks=tuple(k for k in table.checks if k.name != name))
    index = next((i for i in b.indexes if i.table == table.name and i.name == name), None)
    fks = tuple(f for f in table.foreign_keys if f.name != name)
    if index is None and len(fks) == len(table.foreign_keys):
        return table  # a CHECK constraint, or IF EXISTS and absent
    if index is not None:
        b.indexes.remove(index)
        if index.columns == table.primary_key:
            table = replace(table, primary_key=())
        table = replace(table, unique=tuple(u for u in table.unique if u != index.columns))
    return replace(table, foreign_keys=fks)


# -- enums and ranges ---------------------------------------------------------------------


def _type_key(b: Builder, names: tuple[ast.Node, ...] | None, source: SourceText) -> str:
    return type_key(b, svals(names), source)


def create_enum(b: Builder, stmt: ast.CreateEnumStmt, source: SourceText) -> None:
    name = _type_key(b, stmt.typeName, source)
    b.enums[name] = Enum(name, tuple(svals(stmt.vals)))


def alter_enum(b: Builder, stmt: ast.AlterEnumStmt, source: SourceText) -> None:
    names = svals(stmt.typeName)
    name = find_type_key(b.types, names, b.enums)
    if name is None:
        raise CodegenError(
            f'type "{".".join(names)}" does not exist', source, sqlstate=SqlState.UNDEFINED_OBJECT
        )
    enum = b.enums[name]
    values = list(enum.values)
    new = present(stmt.newVal)
    if stmt.oldVal:
        values = [new if v == stmt.oldVal else v for v in values]
    elif new not in values:
        if stmt.newValNeighbor and stmt.newValNeighbor in values:
            at = values.index(stmt.newValNeighbor) + (1 if stmt.newValIsAfter else 0)
            values.insert(at, new)
        else:
            values.append(new)
    b.enums[name] = Enum(name, tuple(values))


def create_range(b: Builder, stmt: ast.CreateRangeStmt, source: SourceText) -> None:
    """CREATE TYPE r AS RANGE (subtype = t): r and its multirange, both of element t."""
    name = _type_key(b, stmt.typeName, source)
    params = {
        present(p.defname).lower(): p.arg for p in stmt.params or () if isinstance(p, ast.DefElem)
    }
    subtype = params.get("subtype")
    if subtype is None:
        raise CodegenError(f'range type "{name}": subtype is required', source)
    multi = params.get("multirange_type_name")
    b.ranges[name] = type_of(b, node(subtype, ast.TypeName), source)
    b.type_parts[name] = (declared_domain(b, node(subtype, ast.TypeName)) or b.ranges[name],)
    schema, _, bare = name.rpartition(".")
    multi_names = svals(node(multi, ast.TypeName).names) if multi is not None else []
    if not multi_names:
        multi_names = [schema or "public", multirange_name(bare)]
    multi_key = type_key(b, multi_names, source)
    b.multiranges[multi_key] = name
    routines.range_constructors(b, name, multi_key)
