"""How the catalog names things as PostgreSQL does: types, relations, default constraint names.

The parser has already folded unquoted identifiers to lower case and kept quoted ones as
written, so names are compared exactly from here on (`"Mood"` and `mood` are two types).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from codegen.errors import CodegenError, SourceText
from codegen.pgtypes import ALIASES, TypeSpace


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
    name = ALIASES.get(names[-1], names[-1])
    name = types.domains.get(name, name)  # a domain is typed as its base type
    if not types.known(name):
        raise CodegenError(f'type "{names[-1]}" does not exist', source, node.location)
    if node.arrayBounds:
        return types.array_of(name)
    return str(name)


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
