"""ALTER TYPE t ADD / DROP / ALTER ATTRIBUTE and RENAME ATTRIBUTE: a composite type's fields
change as PostgreSQL changes them.

For the dependency rules (`depends`) a field is a column of its type, `("column", type key,
field)`: a view that selects `(c).f` depends on it, so dropping the field is refused
without CASCADE (which drops the view), changing its type is refused, and renaming it is
followed. PostgreSQL refuses to change a field's type while a table's column (or another
composite's field) is of the type; adding or dropping fields it allows.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pglast.enums import AlterTableType as At
from pglast.enums import DropBehavior

from codegen.catalog import depends
from codegen.catalog.builder import Builder
from codegen.catalog.model import Column
from codegen.catalog.names import find_type_key
from codegen.catalog.routines import composite_field
from codegen.errors import CodegenError, SourceText


def _composite(b: Builder, rv: Any, source: SourceText) -> str:
    """The key of the composite type an ALTER TYPE names; an error when there is none."""
    names = [n for n in (rv.schemaname, rv.relname) if n]
    key = find_type_key(b.types, names, b.composites)
    if key is None:
        raise CodegenError(f'type "{".".join(names)}" is not a composite type', source, rv.location)
    return key


def _field(b: Builder, key: str, name: str, source: SourceText, loc: int) -> Column:
    found = next((c for c in b.composites[key] if c.name == name), None)
    if found is None:
        raise CodegenError(f'column "{name}" of relation "{key}" does not exist', source, loc)
    return found


def _set_fields(b: Builder, key: str, fields: tuple[Column, ...]) -> None:
    b.composites[key] = fields
    b.type_parts[key] = tuple(c.type for c in fields)


def alter_type(b: Builder, stmt: Any, source: SourceText) -> None:
    """ALTER TYPE t ADD ATTRIBUTE a int, DROP ATTRIBUTE [IF EXISTS] b [CASCADE], ALTER
    ATTRIBUTE c TYPE text."""
    key = _composite(b, stmt.relation, source)
    loc = stmt.relation.location
    for cmd in stmt.cmds or ():
        fields = b.composites[key]
        if cmd.subtype == At.AT_AddColumn:
            name = cmd.def_.colname
            if any(c.name == name for c in fields):
                raise CodegenError(
                    f'column "{name}" of relation "{key}" already exists', source, loc
                )
            _set_fields(b, key, (*fields, composite_field(b, cmd.def_, source)))
        elif cmd.subtype == At.AT_DropColumn:
            if cmd.missing_ok and all(c.name != cmd.name for c in fields):
                continue
            _field(b, key, cmd.name, source, loc)
            cascade = cmd.behavior == DropBehavior.DROP_CASCADE
            depends.drop(b, ("column", key, cmd.name), cascade, source)
            _set_fields(b, key, tuple(c for c in fields if c.name != cmd.name))
        elif cmd.subtype == At.AT_AlterColumnType:
            old = _field(b, key, cmd.name, source, loc)
            _refuse_if_stored(b, key, source, loc)
            depends.change_column_type(b, ("column", key, cmd.name), source)
            new = replace(composite_field(b, cmd.def_, source), name=old.name)
            _set_fields(b, key, tuple(new if c.name == old.name else c for c in fields))


def _refuse_if_stored(b: Builder, key: str, source: SourceText, loc: int) -> None:
    """A field's type cannot change while a table's column or a composite's field holds
    values of the type (PostgreSQL would have to rewrite them)."""
    held = depends.type_and_arrays(b, key)
    users = [
        f"{t.name}.{c.name}"
        for t in b.tables.values()
        if t.name not in b.dependents
        for c in t.columns
        if c.type in held
    ]
    users += [f"{t}.{c.name}" for t, cols in b.composites.items() for c in cols if c.type in held]
    if users:
        raise CodegenError(
            f'cannot alter type "{key}" because column "{users[0]}" uses it', source, loc
        )


def rename_attribute(b: Builder, stmt: Any, source: SourceText) -> None:
    """ALTER TYPE t RENAME ATTRIBUTE a TO b: the views that select `(c).a` follow."""
    key = _composite(b, stmt.relation, source)
    fields = b.composites[key]
    _field(b, key, stmt.subname, source, stmt.relation.location)
    if any(c.name == stmt.newname for c in fields):
        raise CodegenError(
            f'column "{stmt.newname}" of relation "{key}" already exists',
            source,
            stmt.relation.location,
        )
    renamed = tuple(replace(c, name=stmt.newname) if c.name == stmt.subname else c for c in fields)
    _set_fields(b, key, renamed)
    depends.renamed(b, ("column", key, stmt.subname), ("column", key, stmt.newname))
