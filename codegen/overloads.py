"""How PostgreSQL picks a function or operator overload for the argument types.

The rules of the PostgreSQL manual ("Type Conversion": functions and operators), closely
enough for typing results: exact matches, then implicit conversions, polymorphic
arguments bound to the actual types, preferred types, and unknown arguments resolved as
the manual says. `verify` double-checks every query against the server itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from codegen import versions
from codegen.pgtypes import (
    ARRAY_LIKE,
    ELEMENT_LIKE,
    MULTIRANGE_LIKE,
    POLYMORPHIC,
    RANGE_LIKE,
    Func,
    TypeSpace,
)


@dataclass(frozen=True)
class Choice:
    """The overload picked, with each argument's declared type after polymorphism."""

    ret: str
    arg_types: tuple[str, ...]
    strict: bool
    kind: str
    returns_set: bool
    volatile: str = "i"  # the overload's volatility (Func.volatile)


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
        if d in ARRAY_LIKE:
            if not space.is_array(a):
                return None
            candidate = space.elem(a)
        elif d in RANGE_LIKE or d in MULTIRANGE_LIKE:
            kind = "r" if d in RANGE_LIKE else "m"
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
        if t in ELEMENT_LIKE:
            return elem
        if t in ARRAY_LIKE:
            return space.array_of(elem)
        if t in RANGE_LIKE:
            return ranges.get("r") or space.range_of(ranges.get("m", t))
        if t in MULTIRANGE_LIKE:
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
            func.volatile if func else "i",
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
        func = Func(name, "o", False, True, 0, False, o.result, declared, volatile=o.volatile)
        cands.append((declared, o.result, func))
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


def needs_newer(
    space: TypeSpace, what: str, resolve: Callable[[TypeSpace], list[Choice]]
) -> str | None:
    """When a call or operator the target's catalog cannot resolve is resolved by a newer
    major's (`any_value(text)` on 15, which 16 added), the refusal naming that major:
    `any_value() needs PostgreSQL 16; the project targets 15`. None when no supported
    major has it: the caller's "does not exist" stands."""
    for major in versions.SUPPORTED:
        if major > space.version and resolve(space.at(major)):
            return versions.message(what, major, space.version)
    return None
