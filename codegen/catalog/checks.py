"""CHECK constraints and type modifiers as PostgreSQL keeps them: for the review catalog.

An unnamed CHECK gets PostgreSQL's name: `<table>_<column>_check` when its expression uses
exactly one column, else `<table>_check`, numbered (`..._check1`) when the name is taken
(heap.c, AddRelationNewConstraints). The expression is kept as PostgreSQL's parser reads
it (pglast prints it back), so a renamed column is renamed in it too.
"""

from __future__ import annotations

from dataclasses import replace

import pglast
from pglast import ast
from pglast.stream import RawStream

from codegen.catalog.model import Check, Table
from codegen.parse.nodes import present


def _column_refs(node: object) -> list[ast.ColumnRef]:
    """Every ColumnRef in an expression tree."""
    if isinstance(node, ast.ColumnRef):
        return [node]
    if isinstance(node, (list, tuple)):
        return [ref for item in node for ref in _column_refs(item)]
    if isinstance(node, ast.Node):
        return [ref for name in node for ref in _column_refs(getattr(node, name))]
    return []


def column_names(expr: object) -> tuple[str, ...]:
    """The columns an expression (or a list of them) names, in order, once each."""
    refs = [present(r.fields)[-1] for r in _column_refs(expr)]
    return tuple(dict.fromkeys(present(f.sval) for f in refs if isinstance(f, ast.String)))


def add_check(table: Table, c: ast.Constraint) -> Table:
    """`table` with the CHECK constraint `c` (a pglast Constraint) added."""
    columns = column_names(c.raw_expr)
    name = c.conname
    if not name:
        bare = table.name.rpartition(".")[2]
        base = f"{bare}_{columns[0]}" if len(columns) == 1 else bare
        taken = {k.name for k in table.checks}
        name = f"{base}_check"
        n = 0
        while name in taken:
            n += 1
            name = f"{base}_check{n}"
    check = Check(name, f"CHECK ({RawStream()(present(c.raw_expr))})", columns)
    return replace(table, checks=(*table.checks, check))


def rename_column(check: Check, old: str, new: str) -> Check:
    """The check after `ALTER TABLE ... RENAME COLUMN old TO new`."""
    if old not in check.columns:
        return check
    expr = pglast.parse_sql("SELECT " + check.definition.removeprefix("CHECK "))[0].stmt
    assert isinstance(expr, ast.SelectStmt)
    node = present(present(expr.targetList)[0].val)
    for ref in _column_refs(node):
        fields = present(ref.fields)
        last = fields[-1]
        if isinstance(last, ast.String) and last.sval == old:
            ref.fields = (*fields[:-1], ast.String(new))
    columns = tuple(new if c == old else c for c in check.columns)
    return replace(check, definition=f"CHECK ({RawStream()(node)})", columns=columns)


def type_modifiers(type_name: ast.TypeName) -> str:
    """A TypeName's modifiers as written, `(3)` for char(3), `(12,2)` for numeric(12, 2);
    "" for none, and for interval's field masks (`interval day to second`)."""
    mods = type_name.typmods or ()
    values = [
        m.val.ival for m in mods if isinstance(m, ast.A_Const) and isinstance(m.val, ast.Integer)
    ]
    if not values or len(values) != len(mods) or present(type_name.names)[-1].sval == "interval":
        return ""
    return "(" + ",".join(str(v) for v in values) + ")"
