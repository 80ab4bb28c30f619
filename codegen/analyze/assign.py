"""Whether a value may be written to a column: PostgreSQL's assignment conversions.

INSERT values, UPDATE SET and ON CONFLICT DO UPDATE SET convert a value to its column's
type when an implicit or an assignment cast exists (`pg_cast.castcontext` 'i' or 'a'):
`now()` (timestamptz) into a `timestamp(3)` column, a bigint into an integer column. Any
type also converts to a string type by its output function (an automatic I/O conversion
cast, in assignment context), and an array to an array whose element type it converts to.

`ASSIGNMENT_CASTS` is pg_cast's assignment-context casts between built-in types, as
PostgreSQL 15-17 have them (tests compare it with the server's pg_cast).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from pglast import ast

from codegen import catalog as cat
from codegen.analyze import params
from codegen.analyze.context import Context, Typed, location_of
from codegen.pgtypes import TypeSpace

T = TypeVar("T")

_STRINGS = frozenset({"text", "varchar", "bpchar"})

_PAIRS = """
    bool>bpchar bool>text bool>varchar box>polygon bpchar>char char>bpchar char>varchar
    cidr>bpchar cidr>text cidr>varchar float4>int2 float4>int4 float4>int8 float4>numeric
    float8>float4 float8>int2 float8>int4 float8>int8 float8>numeric inet>bpchar inet>cidr
    inet>text inet>varchar int4>int2 int4>money int8>int2 int8>int4 int8>money
    interval>time json>jsonb jsonb>json money>numeric name>bpchar name>varchar numeric>int2
    numeric>int4 numeric>int8 numeric>money oid>int4 oid>int8 path>polygon point>box
    polygon>path regclass>int4 regclass>int8 regcollation>int4 regcollation>int8
    regconfig>int4 regconfig>int8 regdictionary>int4 regdictionary>int8 regnamespace>int4
    regnamespace>int8 regoper>int4 regoper>int8 regoperator>int4 regoperator>int8
    regproc>int4 regproc>int8 regprocedure>int4 regprocedure>int8 regrole>int4 regrole>int8
    regtype>int4 regtype>int8 text>char timestamp>date timestamp>time timestamptz>date
    timestamptz>time timestamptz>timestamp timestamptz>timetz timetz>time varchar>char
    xml>bpchar xml>text xml>varchar
"""
ASSIGNMENT_CASTS: frozenset[tuple[str, str]] = frozenset(
    (source, target) for source, _, target in (p.partition(">") for p in _PAIRS.split())
)


def assignable(types: TypeSpace, source: str, target: str) -> bool:
    """A value of type `source` may be stored in a column of type `target`."""
    if types.coercible(source, target) or (source, target) in ASSIGNMENT_CASTS:
        return True
    if target in _STRINGS and not types.is_array(source):
        return True
    if types.is_array(source) and types.is_array(target):
        return assignable(types, types.elem(source), types.elem(target))
    return False


def coercion_order(items: Iterable[T], value: Callable[[T], object]) -> list[T]:
    """The values of a VALUES row or a SET list in the order PostgreSQL fixes their types:
    it types every expression first and only then coerces each to its column, so a bare
    parameter or literal takes its column's type last (see `settled`)."""
    return sorted(items, key=lambda item: isinstance(value(item), ast.ParamRef | ast.A_Const))


def settled(ctx: Context) -> frozenset[int]:
    """The parameters typed before a VALUES row or SET list is typed (by WHERE, FROM or an
    earlier row): there a bare one is a typed value, converted by assignment."""
    return frozenset(n for n, t in ctx.param_types.items() if t.type is not None)


def bare_param(ctx: Context, node: ast.Node, col: cat.Column, before: frozenset[int]) -> None:
    """A bare parameter typed by another expression of the same row or SET list cannot
    also take its column's type: `SET s = $2, t = CASE WHEN $2 = 'x' ...` types $2 as text
    in the CASE before s coerces it, and PostgreSQL's PREPARE refuses ("inconsistent types
    deduced for parameter $2"). Typed by WHERE before, it would be converted instead."""
    if isinstance(node, ast.ParamRef) and node.number not in before:
        conflict = params.two_types(ctx, node, col.type)
        if conflict is not None:
            raise conflict


def check(
    ctx: Context, got: Typed, col: cat.Column, node: ast.Node, near: ast.Node | None = None
) -> None:
    """A value written to a column must convert to its type, as PostgreSQL checks. The
    error is at the value, or at `near` (its column) for a constant, which has no position."""
    if got.type is None or got.type == col.type:
        return
    if assignable(ctx.types, got.type, col.type):
        return
    raise ctx.error(
        f'column "{col.name}" is of type {col.type} but the expression is of type {got.type}',
        node if location_of(node) is not None or near is None else near,
    )


def to_bigint(ctx: Context, got: Typed, clause: str, node: ast.Node) -> None:
    """LIMIT and OFFSET take a bigint: PostgreSQL converts their argument by assignment
    (`LIMIT 2.5` rounds), and refuses a type that does not convert (`LIMIT @n::text`)."""
    if got.type is None or assignable(ctx.types, got.type, "int8"):
        return
    raise ctx.error(f"argument of {clause} must be type bigint, not type {got.type}", node)
