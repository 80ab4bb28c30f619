"""Which table's model a row is: a result whose columns are exactly a table's (in order,
with the same names, types and nullability, each taken from that table) returns the
table's model; one whose columns start with them returns a row class extending it."""

from __future__ import annotations

from collections.abc import Sequence

from codegen import catalog as cat
from codegen.analyze.model import Col


def table_cols(t: cat.Table) -> list[Col]:
    return [Col(c.name, c.type, not c.not_null, (t.name, c.name)) for c in t.columns]


def whole_table(catalog: cat.Catalog, cols: Sequence[Col], outer: bool = False) -> str | None:
    """The table whose model these columns are, if they are exactly its columns (`outer`:
    an outer join may have made any of them nullable)."""
    t = _first_table(catalog, cols, outer)
    return t.name if t is not None and len(t.columns) == len(cols) else None


def leading_table(catalog: cat.Catalog, cols: Sequence[Col]) -> str | None:
    """The table whose columns these columns start with, and more follow: its model is the
    row's base class (a row that extends `Chat` is a `Chat`)."""
    t = _first_table(catalog, cols)
    return t.name if t is not None and len(t.columns) < len(cols) else None


def _first_table(
    catalog: cat.Catalog, cols: Sequence[Col], outer: bool = False
) -> cat.Table | None:
    """The table whose columns, in order, are the first of `cols` (same name, type,
    nullability unless `outer`, and the table's column as origin)."""
    if not cols or cols[0].origin is None:
        return None
    t = catalog.tables.get(cols[0].origin[0])
    if t is None or len(t.columns) > len(cols):
        return None
    for col, tcol in zip(cols, t.columns, strict=False):
        if (
            col.origin != (t.name, tcol.name)
            or col.name != tcol.name
            or col.type != tcol.type
            or (col.nullable != (not tcol.not_null) and not outer)
        ):
            return None
    return t
