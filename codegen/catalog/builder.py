"""The mutable state of a replay: what the DDL so far has created, frozen into a Catalog.

Relations are keyed by name in `public` and by `schema.name` elsewhere; quoted names keep
their case, as the parser hands them over. An unqualified name is created in the first
schema of the search_path (default `public`) and looked up through all of it, in order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields, replace
from typing import Any

from pglast import ast

from codegen import versions
from codegen.catalog import depends
from codegen.catalog.model import (
    Catalog,
    Column,
    Enum,
    Index,
    Table,
    ViewColumns,
    find_relation,
)
from codegen.errors import CodegenError, SourceText, SqlState
from codegen.extensions import builtins_with
from codegen.parse.nodes import present
from codegen.pgtypes import Func, TypeSpace

_SYSTEM_SCHEMAS = ("pg_catalog", "information_schema")


class Builder:
    def __init__(
        self,
        view_columns: ViewColumns | None,
        search_path: tuple[str, ...] = ("public",),
        version: int = versions.NEWEST,
    ) -> None:
        self.search_path = search_path
        self.version = version  # the PostgreSQL major the project targets
        self.tables: dict[str, Table] = {}
        self.enums: dict[str, Enum] = {}
        self.ranges: dict[str, str] = {}  # range -> element type
        self.multiranges: dict[str, str] = {}  # multirange -> range
        self.indexes: list[Index] = []
        self.schemas: set[str] = {"public"}
        self.functions: dict[str, list[Func]] = {}  # key -> overloads
        self.domains: dict[str, str] = {}  # domain -> base type
        self.composites: dict[str, tuple[Column, ...]] = {}  # a composite type's fields
        # the types a user type is made of: a composite's fields, a range's subtype (as
        # declared: a domain, not its base), for the dependency rules
        self.type_parts: dict[str, tuple[str, ...]] = {}
        # the functions PostgreSQL made with a type (a range's constructors), as `depends`
        # objects ("function", key, *args): they go with the type
        self.constructors: dict[str, tuple[tuple[str, ...], ...]] = {}
        self.extensions: set[str] = set()  # CREATE EXTENSION, of those dumped
        self.sequences: set[str] = set()  # keyed like relations
        # views (and CREATE TABLE AS) whose query the analyzer cannot type: key -> why;
        # a query that reads one is an error saying so, the rest of the schema still works
        self.untyped: dict[str, str] = {}
        # CREATE EXTENSION of one with no dump (pgvector, timescaledb, ...): a type name
        # nothing else declares is taken as one of its types, opaque (see names.type_of)
        self.foreign_extensions: set[str] = set()
        self.opaque: set[str] = set()
        # views and materialized views: what their queries use (`depends`)
        self.dependents: dict[str, depends.Dependent] = {}
        self.view_columns = view_columns
        self.statement = ""  # the text of the statement being replayed (a view's definition)

    def freeze(self, migrations: Iterable[str] = ()) -> Catalog:
        """The Catalog: each field is the builder's attribute of the same name, frozen
        (sets to frozensets, lists to tuples); the indexes of dropped tables left out."""
        given: dict[str, Any] = {
            "indexes": tuple(i for i in self.indexes if i.table in self.tables),
            "migrations": tuple(migrations),
        }
        return Catalog(
            **{
                f.name: given[f.name] if f.name in given else _frozen(getattr(self, f.name))
                for f in fields(Catalog)
            }
        )

    @property
    def types(self) -> TypeSpace:
        return TypeSpace(
            frozenset(self.enums),
            self.ranges,
            self.multiranges,
            {k: tuple(v) for k, v in self.functions.items()},
            frozenset(self.composites) | frozenset(self.tables) | frozenset(self.opaque),
            self.domains,
            builtins_with(self.extensions),
            self.search_path,
            self.version,
        )

    def key(self, schema: str | None, name: str, source: SourceText, offset: int | None) -> str:
        """The catalog key of a relation created as `schema.name` (or `name`, in the first
        schema of the search_path that exists): `name` in public, `schema.name` elsewhere."""
        if schema is None:
            schema = next((s for s in self.search_path if s in self.schemas), None)
            if schema is None:
                raise CodegenError("no schema has been selected to create in", source, offset)
        if schema == "public":
            return name
        if schema in _SYSTEM_SCHEMAS:
            raise CodegenError(
                f"relation {schema}.{name}: the system schemas cannot be changed", source, offset
            )
        if schema not in self.schemas:
            raise CodegenError(
                f'schema "{schema}" does not exist',
                source,
                offset,
                sqlstate=SqlState.INVALID_SCHEMA_NAME,
            )
        return f"{schema}.{name}"

    def rel_key(self, rv: ast.RangeVar, source: SourceText) -> str:
        return self.key(rv.schemaname, present(rv.relname), source, rv.location)

    def find_key(self, schema: str | None, name: str) -> str | None:
        """The key of an existing relation `schema.name`, or `name` on the search_path."""
        return find_relation(self.tables, self.search_path, schema, name)

    def table(self, rv: ast.RangeVar, source: SourceText, missing_ok: bool = False) -> Table | None:
        key = self.find_key(rv.schemaname, present(rv.relname))
        if key is None:
            if missing_ok:
                return None
            shown = f"{rv.schemaname}.{rv.relname}" if rv.schemaname else rv.relname
            raise CodegenError(
                f'relation "{shown}" does not exist',
                source,
                rv.location,
                sqlstate=SqlState.UNDEFINED_TABLE,
            )
        return self.tables[key]

    def rekey_table(self, table: Table, new: str) -> None:
        """A relation renamed or moved to another schema; foreign keys, indexes and the
        views that use it follow."""
        del self.tables[table.name]
        self.tables[new] = replace(table, name=new)
        for other in list(self.tables.values()):
            if other.partition_of == table.name:
                self.tables[other.name] = other = replace(other, partition_of=new)
            if any(f.ref_table == table.name for f in other.foreign_keys):
                fks = tuple(
                    replace(f, ref_table=new) if f.ref_table == table.name else f
                    for f in other.foreign_keys
                )
                self.tables[other.name] = replace(other, foreign_keys=fks)
        self.indexes = [replace(i, table=new) if i.table == table.name else i for i in self.indexes]
        depends.renamed(self, ("relation", table.name), ("relation", new))


def _frozen(value: Any) -> Any:
    """A builder's collection as the Catalog holds it: copied, and immutable where the
    Catalog's type is (sets, lists, and the lists a dict maps to)."""
    if isinstance(value, set):
        return frozenset(value)
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, dict):
        return {k: tuple(v) if isinstance(v, list) else v for k, v in value.items()}
    return value


def relation_exists(name: str, source: SourceText, offset: int | None) -> CodegenError:
    """CREATE of a relation whose name is taken, as PostgreSQL says it (duplicate_table)."""
    return CodegenError(
        f'relation "{name}" already exists', source, offset, sqlstate=SqlState.DUPLICATE_TABLE
    )
