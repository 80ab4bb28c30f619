"""Typed access to pglast's parse tree, for every stage that reads it.

pglast declares every node field Optional; `present` narrows the fields the parser always
fills for a node's shape, so `mypy --strict` checks the rest: no module retypes `ast` as Any.
"""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


def present(value: T | None) -> T:
    """A node field the parser always fills for this shape (pglast types all as Optional)."""
    if value is None:
        raise TypeError("pglast node without a field its shape always has")
    return value
