"""How the catalog names things as PostgreSQL does: types, relations, default constraint names.

The parser has already folded unquoted identifiers to lower case and kept quoted ones as
written, so names are compared exactly from here on (`"Mood"` and `mood` are two types).
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence
from typing import TYPE_CHECKING

from pglast import ast

from codegen.errors import CodegenError, SourceText, SqlState
from codegen.parse.nodes import present, svals
from codegen.pgtypes import ALIASES, TypeSpace

if TYPE_CHECKING:
    from codegen.catalog.builder import Builder


def split_name(names: Sequence[str]) -> tuple[str | None, str]:
    """A dotted name as (schema or None, name): `app.mood` -> ("app", "mood")."""
    return (names[-2] if len(names) > 1 else None), names[-1]


def type_name(node: ast.TypeName | None, types: TypeSpace, source: SourceText) -> str:
    """The catalog key of a TypeName node, found as PostgreSQL finds it (see
    `TypeSpace.lookup`); `int`, `varchar` and the other SQL spellings become pg_type's."""
    node = present(node)
    names = svals(node.names)
    schema, _ = split_name(names)
    bare = ALIASES.get(names[-1], names[-1]) if schema in (None, "pg_catalog") else names[-1]
    name = types.lookup(schema, bare)
    if name is None:
        raise CodegenError(
            f'type "{".".join(names)}" does not exist',
            source,
            node.location,
            sqlstate=SqlState.UNDEFINED_OBJECT,
        )
    if node.arrayBounds:
        return types.array_of(name)
    return name


def type_of(b: Builder, node: ast.TypeName | None, source: SourceText) -> str:
    """`type_name` for DDL: when the schema created an extension the generator has no dump
    of (pgvector, timescaledb, ...), a type nothing else declares is taken as one of that
    extension's: known by its name, opaque (read and written as text, a `str`), with no
    functions or operators, so a query that calls one is refused there, naming it."""
    try:
        return type_name(node, b.types, source)
    except CodegenError:
        names = svals(present(node).names)
        if not b.foreign_extensions or len(names) > 2 or names[0] == "pg_catalog":
            raise
        b.opaque.add(names[-1] if len(names) == 1 else f"{names[0]}.{names[1]}")
        return type_name(node, b.types, source)


def declared_domain(b: Builder, node: ast.TypeName | None) -> str:
    """The domain a TypeName names (`posint`, `posint[]`), or "": a column typed so has
    the domain's base type, and depends on the domain."""
    return find_type_key(b.types, svals(present(node).names), b.domains) or ""


def type_key(
    b: Builder, names: Sequence[str], source: SourceText, offset: int | None = None
) -> str:
    """The key a new type `[schema.]name` gets: like a relation's (`Builder.key`)."""
    return b.key(*split_name(names), source, offset)


def find_type_key(types: TypeSpace, names: Sequence[str], pool: Container[str]) -> str | None:
    """The key in `pool` (the enums, the domains, ...) of an existing user type named
    `[schema.]name`, looked up through the search_path when unqualified."""
    schema, _ = split_name(names)
    for s in (schema,) if schema is not None else types.search_path:
        key = names[-1] if s == "public" else f"{s}.{names[-1]}"
        if key in pool:
            return key
    return None


def default_name(table: str, columns: Iterable[str], suffix: str) -> str:
    """The name PostgreSQL gives an unnamed constraint or index: chats_user_id_fkey.

    (PostgreSQL also shortens names past 63 bytes and numbers duplicates; not modelled.)
    """
    return "_".join([table, *columns, suffix])


def multirange_name(range_name: str) -> str:
    """The multirange PostgreSQL creates with a range: floatrange -> floatmultirange."""
    if "range" in range_name:
        return range_name.replace("range", "multirange", 1)
    return range_name + "_multirange"
