"""The catalog's data: tables, columns, keys, indexes, enums and ranges, frozen.

These are what the later stages read (analyze looks tables and types up, render writes one
model per table); the replay that fills them lives in `replay.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass, field

from pglast import ast

from codegen import versions
from codegen.errors import SourceText
from codegen.extensions import builtins_with
from codegen.pgtypes import Func, TypeSpace


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    not_null: bool
    has_default: bool = False
    # GENERATED ALWAYS: "identity" (AS IDENTITY: written only with OVERRIDING SYSTEM VALUE)
    # or "expression" (AS (...) STORED: never written); "" for a column one may write.
    generated: str = ""
    modifiers: str = ""  # the type's modifiers as declared: "(3)" for char(3), "(12,2)"
    domain: str = ""  # the domain the column is declared with (`type` is its base type)


@dataclass(frozen=True)
class Check:
    """A CHECK constraint: its name (PostgreSQL's default when not given), its expression
    as PostgreSQL's parser reads it, and the columns the expression uses."""

    name: str
    definition: str  # "CHECK (score >= 0)"
    columns: tuple[str, ...]


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    on_delete: str  # a: no action, r: restrict, c: cascade, n: set null, d: set default
    offset: int  # where it is declared in `source`
    source: SourceText = field(compare=False, repr=False)  # the migration declaring it
    name: str = ""  # the constraint's name, PostgreSQL's default when not given

    @property
    def path(self) -> str:
        return self.source.path


@dataclass(frozen=True)
class Index:
    name: str
    table: str
    columns: tuple[str | None, ...]  # None for an expression
    unique: bool
    partial: bool
    uses: tuple[str, ...] = ()  # columns its expressions and predicate use, besides its keys
    method: str = "btree"  # CREATE INDEX ... USING: hnsw, gin, ...
    opclasses: tuple[str, ...] = ()  # each key's operator class as written ("": the default)


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    unique: tuple[tuple[str, ...], ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    is_view: bool = False
    checks: tuple[Check, ...] = ()
    definition: str = ""  # a view's CREATE statement, as written in its migration
    # PARTITION OF / ATTACH PARTITION: the parent, whose keys and indexes PostgreSQL gives
    # every partition (those made later too)
    partition_of: str = ""

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


# What `SELECT * FROM some_sequence` returns (PostgreSQL 10 on).
SEQUENCE_COLUMNS = (
    Column("last_value", "int8", True),
    Column("log_cnt", "int8", True),
    Column("is_called", "bool", True),
)


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
    # `CREATE TYPE r AS RANGE`: the range -> its element type; its multirange -> the range
    ranges: dict[str, str] = field(default_factory=dict)
    multiranges: dict[str, str] = field(default_factory=dict)
    search_path: tuple[str, ...] = ("public",)
    functions: dict[str, tuple[Func, ...]] = field(default_factory=dict)  # CREATE FUNCTION
    domains: dict[str, str] = field(default_factory=dict)  # domain -> base type
    # CREATE TYPE t AS (...): its fields, as columns (never NOT NULL)
    composites: dict[str, tuple[Column, ...]] = field(default_factory=dict)
    # the functions PostgreSQL made with a type (a range's constructors): type -> overloads
    constructors: dict[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    extensions: frozenset[str] = frozenset()  # CREATE EXTENSION (those the generator knows)
    sequences: frozenset[str] = frozenset()  # CREATE SEQUENCE, keyed like relations
    untyped: dict[str, str] = field(default_factory=dict)  # view -> why it is not typed
    opaque: frozenset[str] = frozenset()  # types of extensions with no dump (names.type_of)
    version: int = versions.NEWEST  # the PostgreSQL major the project targets

    def relation(self, schema: str | None, name: str) -> Table | None:
        """The relation `schema.name`, or `name` looked up through the search_path; a
        sequence reads as its one-row relation (last_value, log_cnt, is_called)."""
        names = self.tables.keys() | self.sequences if self.sequences else self.tables
        key = find_relation(names, self.search_path, schema, name)
        if key is None:
            return None
        return self.tables.get(key) or Table(key, SEQUENCE_COLUMNS)

    def fields_of(self, typ: str | None) -> tuple[Column, ...] | None:
        """The fields of a composite type or of a table's (view's) row type, as they are
        now; None for another type."""
        table = self.tables.get(typ or "")
        return table.columns if table is not None else self.composites.get(typ or "")

    def arbiters(self, name: str) -> list[tuple[frozenset[str | None], bool]]:
        """The unique keys of relation `name` that ON CONFLICT (cols) may name, as (columns,
        partial): its primary key, unique constraints and unique indexes (None for an
        expression), and those of the table it is a partition of, which it has too."""
        t = self.tables.get(name)
        if t is None:
            return []
        keys = [(frozenset[str | None](k), False) for k in (t.primary_key, *t.unique) if k]
        keys += [
            (frozenset(i.columns), i.partial) for i in self.indexes if i.table == name and i.unique
        ]
        return keys + (self.arbiters(t.partition_of) if t.partition_of else [])

    def why_untyped(self, schema: str | None, name: str) -> str | None:
        """Why the view `schema.name` (or `name` on the search_path) has no known columns,
        if it is one the analyzer could not type."""
        key = find_relation(self.untyped, self.search_path, schema, name)
        return None if key is None else self.untyped[key]

    @property
    def types(self) -> TypeSpace:
        return TypeSpace(
            frozenset(self.enums),
            self.ranges,
            self.multiranges,
            self.functions,
            frozenset(self.composites) | frozenset(self.tables) | self.opaque,  # tables: row types
            self.domains,
            builtins_with(self.extensions),
            self.search_path,
            self.version,
        )


def relation_key(schema: str, name: str) -> str:
    """How the catalog keys a relation: `name` in public, `schema.name` elsewhere."""
    return name if schema == "public" else f"{schema}.{name}"


def find_relation(
    tables: Container[str], search_path: Sequence[str], schema: str | None, name: str
) -> str | None:
    """The key of `schema.name`, or of `name` in the first search_path schema holding it."""
    for s in (schema,) if schema is not None else search_path:
        key = relation_key(s, name)
        if key in tables:
            return key
    return None


@dataclass(frozen=True)
class ViewQuery:
    """A view's query analysed: its columns, and the relations, columns and types it uses
    (`depends`: `("relation", key)`, `("column", key, name)`, `("type", key)`)."""

    columns: tuple[Column, ...]
    uses: frozenset[tuple[str, ...]] = frozenset()
    mutable: frozenset[str] = frozenset()  # the calls of functions that are not IMMUTABLE


# A view's columns come from analysing its query, which is the next stage's job; the
# pipeline passes that function in so the stages stay in order.
ViewColumns = Callable[[Catalog, ast.Node, SourceText], ViewQuery]
