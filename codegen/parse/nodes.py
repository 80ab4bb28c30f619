"""Typed access to pglast's parse tree, for every stage that reads it.

pglast declares every node field Optional; `present` narrows the fields the parser always
fills for a node's shape, so `mypy --strict` checks the rest: no module retypes `ast` as Any.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from pglast import ast

T = TypeVar("T")


def present(value: T | None) -> T:
    """A node field the parser always fills for this shape (pglast types all as Optional)."""
    if value is None:
        raise TypeError("pglast node without a field its shape always has")
    return value


def sval(node: object) -> str:
    """The text of an `ast.String` (identifiers in names, USING lists, column aliases)."""
    if not isinstance(node, ast.String) or node.sval is None:
        raise TypeError(f"expected a name, got {type(node).__name__}")
    return node.sval


def svals(nodes: Iterable[object] | None) -> list[str]:
    """The texts of a list of `ast.String` (a dotted name's parts, a column list)."""
    return [sval(n) for n in nodes or ()]


N = TypeVar("N", bound=ast.Node)


def node(value: object, kind: type[N]) -> N:
    """A field the parser fills with a node of `kind` for this shape (ALTER TABLE ... ADD
    COLUMN's `def_` is a ColumnDef): narrowed, or a TypeError naming what came instead."""
    if not isinstance(value, kind):
        raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}")
    return value
