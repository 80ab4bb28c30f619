"""The mutable state of a replay: what the DDL so far has created, frozen into a Catalog.

Relations are keyed by name in `public` and by `schema.name` elsewhere (the default
search_path is `public`); quoted names keep their case, as the parser hands them over.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from codegen.catalog.model import Catalog, Enum, Index, Table, ViewColumns
from codegen.errors import CodegenError, SourceText
from codegen.pgtypes import TypeSpace

_SYSTEM_SCHEMAS = ("pg_catalog", "information_schema")


class Builder:
    def __init__(self, view_columns: ViewColumns | None) -> None:
        self.tables: dict[str, Table] = {}
        self.enums: dict[str, Enum] = {}
        self.ranges: dict[str, str] = {}  # range -> element type
        self.multiranges: dict[str, str] = {}  # multirange -> range
        self.indexes: list[Index] = []
        self.schemas: set[str] = {"public"}
        self.view_columns = view_columns

    def freeze(self, migrations: Iterable[str] = ()) -> Catalog:
        live = [i for i in self.indexes if i.table in self.tables]
        return Catalog(
            dict(self.tables),
            dict(self.enums),
            tuple(live),
            tuple(migrations),
            dict(self.ranges),
            dict(self.multiranges),
        )

    @property
    def types(self) -> TypeSpace:
        return TypeSpace(frozenset(self.enums), self.ranges, self.multiranges)

    def key(self, schema: str | None, name: str, source: SourceText, offset: int) -> str:
        """The catalog key of a relation: `name` in public, `schema.name` elsewhere."""
        if schema in (None, "public"):
            return name
        if schema in _SYSTEM_SCHEMAS:
            raise CodegenError(
                f"relation {schema}.{name}: the system schemas cannot be changed", source, offset
            )
        if schema not in self.schemas:
            raise CodegenError(f'schema "{schema}" does not exist', source, offset)
        return f"{schema}.{name}"

    def rel_key(self, rv: Any, source: SourceText) -> str:
        return self.key(rv.schemaname, rv.relname, source, rv.location)

    def table(self, rv: Any, source: SourceText, missing_ok: bool = False) -> Table | None:
        name = self.rel_key(rv, source)
        table = self.tables.get(name)
        if table is None and not missing_ok:
            raise CodegenError(f'relation "{name}" does not exist', source, rv.location)
        return table

    def rekey_table(self, table: Table, new: str) -> None:
        """A relation renamed or moved to another schema; foreign keys and indexes follow."""
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

    def forget_table(self, name: str) -> None:
        """A dropped relation: its indexes and the foreign keys that point at it go too."""
        self.tables.pop(name, None)
        self.indexes = [i for i in self.indexes if i.table != name]
        for other in list(self.tables.values()):
            fks = tuple(f for f in other.foreign_keys if f.ref_table != name)
            if len(fks) != len(other.foreign_keys):
                self.tables[other.name] = replace(other, foreign_keys=fks)
