"""PostgreSQL's built-in types, functions and operators, and how it picks an overload.

The data file `data/pg_catalog.json` is dumped from a real server by
`data/dump_pg_catalog.py`; this module only reads it. Overload resolution follows the
rules in the PostgreSQL manual ("Type Conversion": functions and operators) closely
enough for typing results; `verify` double-checks every query against the server itself.

Types are named by `pg_type.typname`: `int4`, `text`, `timestamptz`; arrays `_int4`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from codegen import pgdata

DATA = Path(__file__).with_name("data") / "pg_catalog.json"

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
_ELEMENT_LIKE = {"anyelement", "anynonarray", "anyenum", "anycompatible", "anycompatiblenonarray"}
_ARRAY_LIKE = {"anyarray", "anycompatiblearray"}
_RANGE_LIKE = {"anyrange", "anycompatiblerange"}
_MULTIRANGE_LIKE = {"anymultirange", "anycompatiblemultirange"}
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


@dataclass(frozen=True)
class Operator:
    name: str
    left: str  # "" for prefix operators
    right: str
    result: str


@dataclass(frozen=True)
class Builtins:
    server_version: str
    types: dict[str, TypeInfo]
    functions: dict[str, tuple[Func, ...]]
    operators: dict[str, tuple[Operator, ...]]
    implicit_casts: frozenset[tuple[str, str]]


@cache
def builtins() -> Builtins:
    """The catalog, from `data/pg_catalog.json` (through pgdata's cache of its rows)."""
    server_version, type_rows, func_rows, op_rows, casts = pgdata.load(DATA)
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
    )


def func_from_dump(f: dict[str, Any]) -> Func:
    return Func(*pgdata.func_row(f))


class TypeSpace:
    """Built-in types plus the user's enums, ranges and functions: what a name means and
    how types convert. `ranges` maps a user range type to its element type, `multiranges`
    a user multirange type to its range type, `functions` a function's catalog key
    (`name` in public, `schema.name` elsewhere) to its overloads."""

    def __init__(
        self,
        enums: frozenset[str] = frozenset(),
        ranges: Mapping[str, str] | None = None,
        multiranges: Mapping[str, str] | None = None,
        functions: Mapping[str, tuple[Func, ...]] | None = None,
        others: frozenset[str] = frozenset(),
        domains: Mapping[str, str] | None = None,
        extensions: frozenset[str] = frozenset(),
        search_path: tuple[str, ...] = ("public",),
    ) -> None:
        from codegen.extensions import with_extensions  # it builds on this module

        self.b = with_extensions(tuple(sorted(extensions)))
        self.enums = enums
        self.ranges: Mapping[str, str] = ranges or {}
        self.multiranges: Mapping[str, str] = multiranges or {}
        self.user_functions: Mapping[str, tuple[Func, ...]] = functions or {}
        self.others = others  # the user's composite types: known, no operators of their own
        self.domains: Mapping[str, str] = domains or {}  # a domain -> its base type
        self.search_path = search_path

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
        if target in _ARRAY_LIKE:
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


@dataclass(frozen=True)
class Choice:
    """The overload picked, with each argument's declared type after polymorphism."""

    ret: str
    arg_types: tuple[str, ...]
    strict: bool
    kind: str
    returns_set: bool


def _expand(
    declared: tuple[str, ...], nargs: int, variadic: bool, defaults: int
) -> tuple[str, ...] | None:
    if variadic:
        fixed = declared[:-1]
        if nargs < len(fixed):
            return None
        var = declared[-1]
        each = var[1:] if var.startswith("_") else var
        if var == "anyarray" or var == "anycompatiblearray":
            each = "anyelement" if var == "anyarray" else "anycompatible"
        return fixed + (each,) * (nargs - len(fixed))
    if len(declared) - defaults <= nargs <= len(declared):
        return declared[:nargs]
    return None


def _bind_polymorphic(
    space: TypeSpace, declared: tuple[str, ...], actual: tuple[str | None, ...], ret: str
) -> tuple[tuple[str, ...], str] | None:
    """Bind polymorphic arguments to the actual types, or None when they cannot be bound.

    Each family only takes what PostgreSQL lets it take: anyarray an array, anyenum an
    enum, anynonarray no array, anyrange a range; without that check `date > int4` would
    "match" `anyrange > anyrange`.
    """
    elem: str | None = None
    ranges: dict[str, str] = {}  # "r"/"m" -> the actual range / multirange type
    for d, a in zip(declared, actual, strict=True):
        if a is None or d not in POLYMORPHIC:
            continue
        if d in _ARRAY_LIKE:
            if not space.is_array(a):
                return None
            candidate = space.elem(a)
        elif d in _RANGE_LIKE or d in _MULTIRANGE_LIKE:
            kind = "r" if d in _RANGE_LIKE else "m"
            sub = space.range_elem(a)
            if space.kind(a) != kind or sub is None or ranges.get(kind, a) != a:
                return None
            ranges[kind] = a
            candidate = sub
        else:
            if d == "anyenum" and a not in space.enums:
                return None
            if d in ("anynonarray", "anycompatiblenonarray") and space.is_array(a):
                return None
            candidate = a
        if elem is None:
            elem = candidate
        elif elem != candidate:
            if space.coercible(candidate, elem):
                continue
            if space.coercible(elem, candidate):
                elem = candidate
            else:
                return None
    if elem is None:
        elem = "text"

    def subst(t: str) -> str:
        if t in _ELEMENT_LIKE:
            return elem
        if t in _ARRAY_LIKE:
            return space.array_of(elem)
        if t in _RANGE_LIKE:
            return ranges.get("r") or space.range_of(ranges.get("m", t))
        if t in _MULTIRANGE_LIKE:
            return ranges.get("m") or space.multirange_of(ranges.get("r", t))
        return t

    return tuple(subst(d) for d in declared), subst(ret)


def choose(
    space: TypeSpace,
    candidates: list[tuple[tuple[str, ...], str, Func | None]],
    actual: tuple[str | None, ...],
) -> list[Choice]:
    """PostgreSQL's candidate narrowing; `actual` None marks an argument of unknown type."""
    viable: list[tuple[int, int, Choice]] = []
    for declared, ret, func in candidates:
        bound = _bind_polymorphic(space, declared, actual, ret)
        if bound is None:
            continue
        concrete, ret_type = bound
        exact = 0
        preferred = 0
        ok = True
        for d, a, orig in zip(concrete, actual, declared, strict=True):
            if a is None:
                continue
            if a == d or orig == "any":
                exact += 1
            elif space.coercible(a, d) or orig in POLYMORPHIC:
                preferred += space.preferred(d)
            else:
                ok = False
                break
        if not ok:
            continue
        choice = Choice(
            ret_type,
            concrete,
            func.strict if func else True,
            func.kind if func else "o",
            func.returns_set if func else False,
        )
        viable.append((exact, preferred, choice))
    if len(viable) <= 1:
        return [c for _, _, c in viable]
    best = max(e for e, _, _ in viable)
    viable = [v for v in viable if v[0] == best]
    best_pref = max(p for _, p, _ in viable)
    viable = [v for v in viable if v[1] == best_pref]
    choices = [c for _, _, c in viable]
    unknown = [i for i, a in enumerate(actual) if a is None]
    if len(choices) > 1 and unknown:
        choices = _resolve_unknowns(space, choices, actual, unknown)
    return choices


def _resolve_unknowns(
    space: TypeSpace, choices: list[Choice], actual: tuple[str | None, ...], unknown: list[int]
) -> list[Choice]:
    """func_select_candidate's last steps: what an unknown literal or parameter can be.

    At each unknown position take the string category if a candidate accepts it, else the
    one category every candidate accepts (a conflict, such as `date + unknown` between
    int4, interval and time, leaves the choice ambiguous, as in PostgreSQL); prefer the
    preferred type of that category. Failing that, when the known arguments are all of one
    type, assume the unknowns are of that type too and accept a unique match.
    """
    resolved = True
    wanted: dict[int, tuple[str, bool]] = {}
    for i in unknown:
        cats = {space.category(c.arg_types[i]) for c in choices}
        if "S" in cats:
            cat = "S"
        elif len(cats) == 1:
            cat = cats.pop()
        else:
            resolved = False
            break
        preferred = any(
            space.category(c.arg_types[i]) == cat and space.preferred(c.arg_types[i])
            for c in choices
        )
        wanted[i] = (cat, preferred)
    if resolved:
        kept = [
            c
            for c in choices
            if all(
                space.category(c.arg_types[i]) == cat
                and (not pref or space.preferred(c.arg_types[i]))
                for i, (cat, pref) in wanted.items()
            )
        ]
        if len(kept) == 1:
            return kept
        choices = kept or choices
    known = {a for a in actual if a is not None}
    if len(known) == 1:
        only = known.pop()
        same = [c for c in choices if all(space.coercible(only, d) for d in c.arg_types)]
        if len(same) == 1:
            return same
    return choices


def resolve_function(space: TypeSpace, name: str, actual: tuple[str | None, ...]) -> list[Choice]:
    funcs = space.functions(name)
    cands: list[tuple[tuple[str, ...], str, Func | None]] = []
    for f in funcs:
        declared = _expand(f.args, len(actual), f.variadic, f.defaults)
        if declared is not None:
            cands.append((declared, f.ret, f))
    # An exact match wins outright, as in PostgreSQL.
    exact = [c for c in cands if c[0] == actual]
    if exact:
        cands = exact
    return choose(space, cands, actual)


def resolve_operator(
    space: TypeSpace, name: str, left: str | None, right: str | None, prefix: bool
) -> list[Choice]:
    ops = space.b.operators.get(name, ())
    cands: list[tuple[tuple[str, ...], str, Func | None]] = []
    for o in ops:
        if prefix != (o.left == ""):
            continue
        declared = (o.right,) if prefix else (o.left, o.right)
        cands.append((declared, o.result, None))
    actual: tuple[str | None, ...] = (right,) if prefix else (left, right)
    exact = [c for c in cands if c[0] == actual]
    if exact:
        return choose(space, exact, actual)
    if not prefix and (left is None) != (right is None):
        # An unknown operand is first assumed to be of the other operand's type.
        known = left if left is not None else right
        same = [c for c in cands if c[0] == (known, known)]
        if same:
            return choose(space, same, (known, known))
    return choose(space, cands, actual)
