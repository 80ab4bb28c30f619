"""PostgreSQL's built-in types, functions and operators, and how it picks an overload.

The data files `data/pg<N>/pg_catalog.json` are dumped from a real server of each supported
major by `data/dump_pg_catalog.py`; this module only reads them (the project's target
major's, `codegen.versions`), and `TypeSpace` says what a type name means and how types
convert. Picking an overload is `overloads.py`.

Types are named by `pg_type.typname`: `int4`, `text`, `timestamptz`; arrays `_int4`.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from codegen import pgdata, versions


def catalog_file(major: int) -> Path:
    """The built-in catalog dumped from a server of `major`."""
    return versions.data_dir(major) / "pg_catalog.json"


DATA = catalog_file(versions.NEWEST)

POLYMORPHIC = {
    "anyelement",
    "anyarray",
    "anynonarray",
    "anyenum",
    "anyrange",
    "anymultirange",
    "anycompatible",
    "anycompatiblearray",
    "anycompatiblenonarray",
    "anycompatiblerange",
    "anycompatiblemultirange",
}
ELEMENT_LIKE = {"anyelement", "anynonarray", "anyenum", "anycompatible", "anycompatiblenonarray"}
ARRAY_LIKE = {"anyarray", "anycompatiblearray"}
RANGE_LIKE = {"anyrange", "anycompatiblerange"}
MULTIRANGE_LIKE = {"anymultirange", "anycompatiblemultirange"}
# Built-in range and multirange types and their element (pg_range.rngsubtype).
RANGE_SUBTYPES = {
    "int4range": "int4",
    "int8range": "int8",
    "numrange": "numeric",
    "tsrange": "timestamp",
    "tstzrange": "timestamptz",
    "daterange": "date",
}

# Names the grammar does not normalise (or users write) mapped to pg_type names.
ALIASES = {
    "int": "int4",
    "integer": "int4",
    "smallint": "int2",
    "bigint": "int8",
    "boolean": "bool",
    "real": "float4",
    "float": "float8",
    "double precision": "float8",
    "decimal": "numeric",
    "character varying": "varchar",
    "character": "bpchar",
    "char": "bpchar",
    "timestamp with time zone": "timestamptz",
    "timestamp without time zone": "timestamp",
    "time with time zone": "timetz",
    "time without time zone": "time",
    "serial": "int4",
    "serial4": "int4",
    "bigserial": "int8",
    "serial8": "int8",
    "smallserial": "int2",
    "serial2": "int2",
}
SERIALS = {"serial", "serial4", "bigserial", "serial8", "smallserial", "serial2"}


@dataclass(frozen=True)
class TypeInfo:
    name: str
    category: str
    preferred: bool
    elem: str  # element type for arrays, else ""
    array: str  # array type name, else ""
    kind: str = "b"  # pg_type.typtype: b base, p pseudo, r range, m multirange


@dataclass(frozen=True)
class Func:
    name: str
    kind: str  # f: function, a: aggregate, w: window
    returns_set: bool
    strict: bool
    defaults: int
    variadic: bool
    ret: str
    args: tuple[str, ...]
    # the input arguments' names (proargnames), "" where unnamed; () when none are named
    argnames: tuple[str, ...] = ()
    # a function with several OUT arguments (or RETURNS TABLE): its columns, by name
    out: tuple[tuple[str, str], ...] = ()
    # provolatile: i immutable, s stable, v volatile (what a generated column may call)
    volatile: str = "i"


@dataclass(frozen=True)
class Operator:
    name: str
    left: str  # "" for prefix operators
    right: str
    result: str
    volatile: str = "i"  # of the function it calls, as Func.volatile


@dataclass(frozen=True)
class Builtins:
    server_version: str
    types: dict[str, TypeInfo]
    functions: dict[str, tuple[Func, ...]]
    operators: dict[str, tuple[Operator, ...]]
    implicit_casts: frozenset[tuple[str, str]]
    # every cast, those calling code that is not IMMUTABLE, and the types whose input (i)
    # or output (o) function is not: what a generated column or index may not use
    casts: frozenset[tuple[str, str]] = frozenset()
    mutable_casts: frozenset[tuple[str, str]] = frozenset()
    mutable_io: Mapping[str, str] = field(default_factory=dict)


@cache
def builtins(major: int = versions.NEWEST) -> Builtins:
    """The catalog of `major`, from `data/pg<N>/pg_catalog.json` (through pgdata's cache of
    its rows)."""
    rows = pgdata.load(catalog_file(major))
    server_version, type_rows, func_rows, op_rows, casts, every, mutable, io = rows
    types = {t[0]: TypeInfo(*t) for t in type_rows}
    funcs: dict[str, list[Func]] = defaultdict(list)
    for f in func_rows:
        funcs[f[0]].append(Func(*f))
    ops: dict[str, list[Operator]] = defaultdict(list)
    for o in op_rows:
        ops[o[0]].append(Operator(*o))
    return Builtins(
        server_version,
        types,
        {k: tuple(v) for k, v in funcs.items()},
        {k: tuple(v) for k, v in ops.items()},
        frozenset((s, t) for s, t in casts),
        frozenset((s, t) for s, t in every),
        frozenset((s, t) for s, t in mutable),
        io,
    )


def func_from_dump(f: dict[str, Any]) -> Func:
    return Func(*pgdata.func_row(f))


class TypeSpace:
    """Built-in types plus the user's enums, ranges and functions: what a name means and
    how types convert. `ranges` maps a user range type to its element type, `multiranges`
    a user multirange type to its range type, `functions` a function's catalog key
    (`name` in public, `schema.name` elsewhere) to its overloads; `version` is the
    PostgreSQL major whose built-ins it holds, and `builtins_at` gives them for a major
    (plain `builtins` here; the catalog passes one that adds the schema's extensions)."""

    def __init__(
        self,
        enums: frozenset[str] = frozenset(),
        ranges: Mapping[str, str] | None = None,
        multiranges: Mapping[str, str] | None = None,
        functions: Mapping[str, tuple[Func, ...]] | None = None,
        others: frozenset[str] = frozenset(),
        domains: Mapping[str, str] | None = None,
        builtins_at: Callable[[int], Builtins] = builtins,
        search_path: tuple[str, ...] = ("public",),
        version: int = versions.NEWEST,
    ) -> None:
        self.version = version
        self.builtins_at = builtins_at
        self.b = builtins_at(version)
        self.enums = enums
        self.ranges: Mapping[str, str] = ranges or {}
        self.multiranges: Mapping[str, str] = multiranges or {}
        self.user_functions: Mapping[str, tuple[Func, ...]] = functions or {}
        self.others = others  # the user's composite types: known, no operators of their own
        self.domains: Mapping[str, str] = domains or {}  # a domain -> its base type
        self.search_path = search_path

    def at(self, major: int) -> TypeSpace:
        """The same user types and functions over the built-ins of another major."""
        other = copy.copy(self)
        other.version = major
        other.b = self.builtins_at(major)
        return other

    def lookup(self, schema: str | None, name: str) -> str | None:
        """The key of type `schema.name`, or of `name` as PostgreSQL finds it: pg_catalog
        (built-in and extension types) first, then each schema of the search_path. A
        user's type is keyed like a relation: `name` in public, `schema.name` elsewhere; a
        domain resolves to its base type."""
        if schema in (None, "pg_catalog") and name.removeprefix("_") in self.b.types:
            return name
        if schema == "pg_catalog":
            return None
        for s in (schema,) if schema is not None else self.search_path:
            key = name if s == "public" else f"{s}.{name}"
            if key in self.domains:
                return self.domains[key]
            if self.known(key):
                return key
        return None

    def functions(self, key: str) -> tuple[Func, ...]:
        """The overloads a call may pick: built-in (unqualified keys) and the user's."""
        own = self.user_functions.get(key, ())
        return own if "." in key else self.b.functions.get(key, ()) + own

    def known(self, name: str) -> bool:
        prefix, bare = _split(name)
        if bare.startswith("_"):
            return self.known(prefix + bare[1:])
        return (
            name in self.b.types
            or name in self.enums
            or name in self.ranges
            or name in self.multiranges
            or name in self.others
        )

    def is_array(self, name: str) -> bool:
        prefix, bare = _split(name)
        return bare.startswith("_") and self.known(prefix + bare[1:])

    def elem(self, name: str) -> str:
        prefix, bare = _split(name)
        return prefix + bare[1:] if self.is_array(name) else name

    def array_of(self, name: str) -> str:
        return name if self.is_array(name) else array_key(name)

    def kind(self, name: str) -> str:
        if name in self.ranges:
            return "r"
        if name in self.multiranges:
            return "m"
        info = self.b.types.get(name)
        return info.kind if info else "b"

    def range_of(self, multirange: str) -> str:
        """The range type of a multirange: int4multirange -> int4range."""
        return self.multiranges.get(multirange) or multirange.replace("multirange", "range")

    def multirange_of(self, range_: str) -> str:
        """The multirange type of a range: int4range -> int4multirange, and a user's range
        to the multirange CREATE TYPE ... AS RANGE made with it."""
        own = [m for m, r in self.multiranges.items() if r == range_]
        return own[0] if own else range_.replace("range", "multirange")

    def range_elem(self, name: str) -> str | None:
        """int4range -> int4, int4multirange -> int4; None for a type that is no range."""
        if name in self.multiranges:
            name = self.multiranges[name]
        if name in self.ranges:
            return self.ranges[name]
        return RANGE_SUBTYPES.get(name.replace("multirange", "range"))

    def category(self, name: str) -> str:
        if self.is_array(name):
            return "A"
        if name in self.enums:
            return "E"
        if name in self.ranges or name in self.multiranges:
            return "R"
        if name in self.others:
            return "C"
        info = self.b.types.get(name)
        return info.category if info else "U"

    def preferred(self, name: str) -> bool:
        info = self.b.types.get(name)
        return bool(info and info.preferred)

    def common_type(self, types: Sequence[str]) -> str | None:
        """The type CASE, COALESCE, UNION, VALUES and ARRAY[] resolve to (select_common_type).

        The first type wins unless a later one of the same category accepts it implicitly
        and not the other way round (int2, int4 -> int4; int4, numeric -> numeric). None when
        the categories differ or an input does not convert: PostgreSQL's "cannot be matched".
        """
        if not types:
            return None
        chosen = types[0]
        for other in types[1:]:
            if other == chosen:
                continue
            if self.category(other) != self.category(chosen):
                return None
            if (
                not self.preferred(chosen)
                and self.coercible(chosen, other)
                and not self.coercible(other, chosen)
            ):
                chosen = other
        if all(self.coercible(t, chosen) for t in types):
            return chosen
        return None

    def cast_mutable(self, source: str, target: str) -> bool:
        """Converting `source` to `target` calls code that is not IMMUTABLE: the cast's
        function, or the input/output functions of a conversion through text (an array's,
        an enum's, a composite's and a range's are stable; an element cast applies to each
        element of an array)."""
        if source == target:
            return False
        if (source, target) in self.b.mutable_casts:
            return True
        if (source, target) in self.b.casts:
            return False
        if self.is_array(source) and self.is_array(target):
            return self.cast_mutable(self.elem(source), self.elem(target))
        if self.category(target) == "S":
            return "o" in self._mutable_io(source)
        if self.category(source) == "S":
            return "i" in self._mutable_io(target)
        return False

    def _mutable_io(self, name: str) -> str:
        if self.is_array(name) or self.category(name) in ("E", "R", "C"):
            return "io"  # array_in/out, enum_in/out, range_in/out, record_in/out
        return self.b.mutable_io.get(name, "")

    def coercible(self, source: str, target: str) -> bool:
        """Implicitly convertible, as PostgreSQL would without an explicit cast."""
        if source == target or target in ("any", "anyelement", "anycompatible"):
            return True
        if (source, target) in self.b.implicit_casts:
            return True
        if self.is_array(source) and self.is_array(target):
            return (self.elem(source), self.elem(target)) in self.b.implicit_casts
        if source in self.enums and target == "anyenum":
            return True
        if target in ARRAY_LIKE:
            return self.is_array(source)
        if target in ("anynonarray", "anycompatiblenonarray"):
            return not self.is_array(source)
        return False


def _split(key: str) -> tuple[str, str]:
    """`app.mood` -> ("app.", "mood"); `mood` -> ("", "mood")."""
    schema, dot, bare = key.rpartition(".")
    return schema + dot, bare


def array_key(key: str) -> str:
    """The array type of a type key, named as pg_type does: `mood` -> `_mood`, a type in
    another schema `app.mood` -> `app._mood`."""
    prefix, bare = _split(key)
    return f"{prefix}_{bare}"
