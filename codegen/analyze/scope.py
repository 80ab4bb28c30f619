"""Names: what a column reference means where it is written.

A `Scope` is one query level: its FROM entries (alias → columns), the columns `*` expands
to, its CTEs and its output names (which ORDER BY and GROUP BY may use). This module builds
scopes from FROM items (tables, CTEs, subqueries, functions, joins) and resolves names in
them, outward through enclosing levels as PostgreSQL does for correlated subqueries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from pglast import ast
from pglast.enums import JoinType

from codegen import catalog as cat
from codegen import versions
from codegen.analyze import expressions, functions, sqljson, statements, uses
from codegen.analyze.colnames import column_name
from codegen.analyze.context import (
    BOOL,
    Context,
    Entry,
    Scope,
    StarCol,
    Typed,
    present,
    subquery,
    sval,
    svals,
)
from codegen.analyze.model import Col, Source
from codegen.analyze.models import table_cols, whole_table
from codegen.analyze.nullability import OUT_COLUMNS
from codegen.catalog.system import system_relation
from codegen.errors import SqlState

Entries = tuple[list[Entry], list[StarCol]]  # FROM entries, and the columns `*` expands to


# -- name lookup --------------------------------------------------------------------------


def has_entry(scope: Scope, alias: str) -> bool:
    return any(e.alias == alias for s in scope.levels() for e in s.entries)


def entry(ctx: Context, scope: Scope, qual: str, node: ast.Node) -> Entry:
    """The FROM entry `qual` names, here or in an enclosing query."""
    for s in scope.levels():
        for e in s.entries:
            if e.alias == qual:
                return e
    raise ctx.error(
        f'missing FROM-clause entry for table "{qual}"', node, sqlstate=SqlState.UNDEFINED_TABLE
    )


def lookup(
    ctx: Context,
    scope: Scope,
    qual: str | None,
    name: str,
    probe: bool = False,
    node: ast.Node | None = None,
) -> Col | None:
    """The column `qual.name` (or `name`) names; `probe`: ambiguity is not an error (else
    it is one at `node`). A table's column found is recorded as used (`Context.used`)."""
    col = _lookup(ctx, scope, qual, name, probe, node)
    if col is not None and col.origin is not None:
        ctx.used.add(("column", *col.origin))
    return col


def _lookup(
    ctx: Context, scope: Scope, qual: str | None, name: str, probe: bool, node: ast.Node | None
) -> Col | None:
    """The column, recorded as read from the table entry it is found in (`uses`); a column
    merged by USING was read from both sides by the join."""
    for s in scope.levels():
        found: list[tuple[Entry | None, Col]] = []
        for e in s.entries:
            if qual is not None and e.alias != qual:
                continue
            matches = [c for c in e.cols if c.name == name] or _system_column(e, name)
            found.extend((e, c) for c in matches)
        if qual is None and not found:
            # USING columns appear merged in the star list only.
            found.extend((None, m.col) for m in s.star if m.col.name == name and not m.col.origin)
        if len(found) > 1 and qual is None:
            merged = [m.col for m in s.star if m.col.name == name]
            if len(merged) == 1:
                return merged[0]
            if not probe:
                raise ctx.error(
                    f'column reference "{name}" is ambiguous',
                    node,
                    sqlstate=SqlState.AMBIGUOUS_COLUMN,
                )
        if found:
            uses.column_read(ctx, found[0][0], found[0][1].origin)
            return found[0][1]
        if qual is not None and any(e.alias == qual for e in s.entries):
            return None
    return None


def resolve_column(ctx: Context, node: ast.ColumnRef, scope: Scope) -> Col | None:
    """The column a reference names, if any (ambiguity is not an error here)."""
    names = [sval(f) for f in present(node.fields) if isinstance(f, ast.String)]
    if len(names) == 1:
        return lookup(ctx, scope, None, names[0], probe=True)
    return lookup(ctx, scope, names[-2], names[-1], probe=True)


def column(ctx: Context, node: ast.ColumnRef, scope: Scope) -> Typed:
    """The type of a column reference in an expression."""
    fields = present(node.fields)
    if isinstance(fields[-1], ast.A_Star):
        if len(fields) == 1:
            raise ctx.error("* is not a value; name the columns or a table (t.*)", node)
        return _whole_row(ctx, entry(ctx, scope, sval(fields[-2]), node))  # count(t.*)
    names = svals(fields)
    if len(names) == 1:
        col = lookup(ctx, scope, None, names[0], node=node)
        if col is None:
            out = scope.outputs.get(names[0])
            if out is not None:
                return out
            if has_entry(scope, names[0]):
                # A whole-row reference: to_jsonb(t), jsonb_agg(t), row_to_json(t).
                return _whole_row(ctx, entry(ctx, scope, names[0], node))
            raise ctx.no_column(f'column "{names[0]}" does not exist', node)
    else:
        qual, name = names[-2], names[-1]
        entry(ctx, scope, qual, node)
        col = lookup(ctx, scope, qual, name)
        if col is None:
            raise ctx.no_column(f"column {qual}.{name} does not exist", node)
    return Typed(col.type, col.nullable)


def is_local(ctx: Context, node: Any, scope: Scope) -> bool:
    """Whether every column `node` uses belongs to this query level. An aggregate over
    columns of an enclosing query is that query's aggregate (grouped or not); a subquery
    inside is not looked into, so it counts as not local."""
    if isinstance(node, ast.SubLink):
        return False
    if isinstance(node, ast.ColumnRef):
        here = Scope(entries=scope.entries, star=scope.star)
        names = [sval(f) for f in present(node.fields) if isinstance(f, ast.String)]
        qual = names[-2] if len(names) > 1 else None
        return bool(names) and lookup(ctx, here, qual, names[-1], probe=True) is not None
    if isinstance(node, tuple):
        return all(is_local(ctx, item, scope) for item in node)
    if isinstance(node, ast.Node):
        slots = getattr(type(node), "__slots__", ())
        return all(is_local(ctx, getattr(node, slot), scope) for slot in slots)
    return True


def table_row(ctx: Context, ref: ast.ColumnRef, scope: Scope) -> bool:
    """`t` alone names a table's whole row, typed by PostgreSQL as the table's row type
    (a subquery's or CTE's row is a plain record)."""
    fields = present(ref.fields)
    if len(fields) != 1 or not isinstance(fields[0], ast.String):
        return False
    name = sval(fields[0])
    return has_entry(scope, name) and entry(ctx, scope, name, ref).table is not None


def _whole_row(ctx: Context, e: Entry) -> Typed:
    """`t` or `t.*` as a value: NULL where an outer join found no row, which the entry
    shows as every column nullable (so a table of nullable columns only is NULL too)."""
    uses.star_read(ctx, [e])
    return Typed(e.row_type or "record", all(c.nullable for c in e.cols))


# -- tables and CTEs ----------------------------------------------------------------------


def star_of(e: Entry) -> list[StarCol]:
    """The columns `*` takes from one FROM entry, qualified by its alias."""
    return [StarCol(c, e.alias or None) for c in e.cols]


def rename(cols: list[Col], names: Sequence[Any] | None) -> list[Col]:
    """Columns renamed by an alias list `AS t(a, b)`; the rest keep their names."""
    if not names:
        return cols
    renamed = svals(names)
    return [
        replace(c, name=renamed[i], origin=None) if i < len(renamed) else c
        for i, c in enumerate(cols)
    ]


def table(ctx: Context, rv: ast.RangeVar) -> cat.Table:
    """The relation a name refers to: `schema.name`, or `name` in pg_catalog (searched
    first, as PostgreSQL does) or the search_path; information_schema when qualified."""
    name = present(rv.relname)
    major = ctx.catalog.version
    found = system_relation(rv.schemaname, name, (), major)
    found = found or ctx.catalog.relation(rv.schemaname, name)
    found = found or system_relation(rv.schemaname, name, ctx.catalog.extensions, major)
    if found is None:
        shown = f"{rv.schemaname}.{name}" if rv.schemaname else name
        why = ctx.catalog.why_untyped(rv.schemaname, name)
        if why is not None:
            raise ctx.unsupported(f'relation "{shown}" cannot be used here: {why}', rv)
        newer = next(
            (
                m
                for m in versions.SUPPORTED
                if m > major and system_relation(rv.schemaname, name, (), m)
            ),
            None,
        )
        if newer is not None:  # pg_stat_checkpointer on 16: a system view 17 added
            raise ctx.error(versions.message(shown, newer, major), rv)
        raise ctx.error(f'relation "{shown}" does not exist', rv, sqlstate=SqlState.UNDEFINED_TABLE)
    ctx.used.add(("relation", found.name))
    return found


def embedded(ctx: Context, e: Entry, ref: ast.ColumnRef) -> list[Col]:
    """`sqlc.embed(t)`: t's columns, nested as t's model; of an outer-joined table the
    model is optional, None when the join found no row."""
    outer = e.outer
    name = None if e.table is None else whole_table(ctx.catalog, e.cols, outer)
    if name is None:
        raise ctx.error(f"sqlc.embed({e.alias}) needs a table (or a view) as it is", ref)
    columns = ctx.catalog.tables[name].columns
    key = next((i for i, c in enumerate(columns) if c.not_null), None) if outer else None
    return [
        replace(c, embed=e.alias, embed_optional=outer, embed_key=i == key)
        for i, c in enumerate(e.cols)
    ]


def with_clause(ctx: Context, clause: ast.WithClause | None, scope: Scope) -> None:
    """Adds each CTE's columns to `scope`, in order, so later CTEs may use earlier ones."""
    if clause is None:
        return
    for cte in present(clause.ctes):
        query = cte.ctequery
        name = present(cte.ctename)
        if clause.recursive and isinstance(query, ast.SelectStmt) and query.larg is not None:
            _recursive_cte(ctx, cte, query, scope)
            continue
        cols = statements.statement(ctx, query, scope.child())
        cols = rename(cols, cte.aliascolnames)
        scope.ctes[name] = (cols, whole_table(ctx.catalog, cols))


def _recursive_cte(
    ctx: Context, cte: ast.CommonTableExpr, query: ast.SelectStmt, scope: Scope
) -> None:
    """The non-recursive term fixes the columns; the rest may refer to itself."""
    name = present(cte.ctename)
    first = statements.select(ctx, present(query.larg), scope.child())
    cols = rename(first, cte.aliascolnames)
    scope.ctes[name] = (cols, None)
    rest = statements.select(ctx, present(query.rarg), scope.child())
    cols = [
        replace(c, nullable=c.nullable or (i < len(rest) and rest[i].nullable))
        for i, c in enumerate(cols)
    ]
    scope.ctes[name] = (cols, None)


# -- FROM items ---------------------------------------------------------------------------


def from_item(ctx: Context, item: ast.Node, scope: Scope) -> Entries:
    """The entries a FROM item adds to `scope`, and the columns `*` expands to."""
    if isinstance(item, ast.RangeVar):
        return _range_var(ctx, item, scope)
    if isinstance(item, ast.RangeSubselect):
        inner = scope if item.lateral else Scope(parent=scope.parent, ctes=scope.ctes)
        cols = statements.select(ctx, subquery(item.subquery), inner)
        cols = rename(cols, item.alias.colnames if item.alias else None)
        alias = present(item.alias.aliasname) if item.alias else ""
        e = Entry(alias, cols, whole_table(ctx.catalog, cols))
        return [e], star_of(e)
    if isinstance(item, ast.RangeFunction):
        return _range_function(ctx, item, scope)
    if isinstance(item, ast.JoinExpr):
        return _join(ctx, item, scope)
    if isinstance(item, ast.RangeTableSample):
        return _table_sample(ctx, item, scope)
    if isinstance(item, ast.JsonTable):  # implicitly LATERAL, like a function in FROM
        e = sqljson.json_table(ctx, item, scope)
        return [e], star_of(e)
    what = {"RangeTableFunc": "XMLTABLE"}.get(type(item).__name__, type(item).__name__)
    raise ctx.unsupported(f"{what} in FROM is not supported; select from it in a view", item)


# TABLESAMPLE methods: their argument types (REPEATABLE takes float8); the extension that
# brings a method, if any.
SAMPLE_METHODS = {
    "system": (("float4",), None),
    "bernoulli": (("float4",), None),
    "system_rows": (("int8",), "tsm_system_rows"),
    "system_time": (("float8",), "tsm_system_time"),
}


def _table_sample(ctx: Context, item: ast.RangeTableSample, scope: Scope) -> Entries:
    """`t TABLESAMPLE SYSTEM (pct) [REPEATABLE (seed)]`: the table's rows, a sample."""
    method = sval(present(item.method)[-1])
    types, extension = SAMPLE_METHODS.get(method, ((), "?"))
    if extension is not None and extension not in ctx.catalog.extensions:
        raise ctx.error(f'tablesample method "{method}" does not exist', item)
    args = list(item.args or ())
    if len(args) != len(types):
        raise ctx.error(
            f"tablesample method {method} requires {len(types)} argument, not {len(args)}", item
        )
    for arg, typ in zip(args, types, strict=True):
        expressions.expr(ctx, arg, scope, Typed(typ, False))
    if item.repeatable is not None:
        expressions.expr(ctx, item.repeatable, scope, Typed("float8", False))
    return from_item(ctx, present(item.relation), scope)


def _range_var(ctx: Context, item: ast.RangeVar, scope: Scope) -> Entries:
    relname = present(item.relname)
    cte = scope.cte(relname) if item.schemaname is None else None
    alias = present(item.alias.aliasname) if item.alias else relname
    colnames = item.alias.colnames if item.alias else None
    if cte is not None:
        cols, whole = cte
        e = Entry(alias, rename(cols, colnames), whole)
    else:
        t = table(ctx, item)
        source = Source(alias, t.name, item.location)
        uses.table_read(ctx, source)
        e = Entry(alias, rename(table_cols(t), colnames), t.name, own_rows(ctx, t), source=source)
    return [e], star_of(e)


def own_rows(ctx: Context, t: cat.Table) -> str:
    """Entry.rows for a relation: a table has system columns, a view or sequence none."""
    return "" if t.is_view or t.name in ctx.catalog.sequences else "table"


# Columns every table has besides its own (PostgreSQL's system columns), never NULL.
SYSTEM_COLUMNS = {
    "tableoid": "oid",
    "ctid": "tid",
    "xmin": "xid",
    "xmax": "xid",
    "cmin": "cid",
    "cmax": "cid",
}


def _system_column(e: Entry, name: str) -> list[Col]:
    typ = SYSTEM_COLUMNS.get(name) if e.rows else None
    return [Col(name, typ, e.rows == "outer")] if typ else []


def _range_function(ctx: Context, item: ast.RangeFunction, scope: Scope) -> Entries:
    """`FROM f(...)`, `ROWS FROM (f(...), g(...))`, `WITH ORDINALITY`, column lists."""
    pairs = present(item.functions)
    cols: list[Col] = []
    scalar, row_type = False, ""
    for call, coldefs in pairs:
        found, scalar, row_type = _function_columns(ctx, call, coldefs or item.coldeflist, scope)
        cols += found
    if len(pairs) > 1:  # ROWS FROM pads the shorter results with NULLs
        cols = [replace(c, nullable=True) for c in cols]
        scalar, row_type = False, ""
    alias = present(item.alias.aliasname) if item.alias else cols[0].name
    names = item.alias.colnames if item.alias else None
    if names is None and item.alias and scalar:
        # A function returning one value names its column after the alias, as a table.
        cols = [replace(cols[0], name=alias)]
    if item.ordinality:
        cols.append(Col("ordinality", "int8", False))
        row_type = ""
    e = Entry(alias, rename(cols, names), row_type=row_type)
    return [e], star_of(e)


def _function_columns(
    ctx: Context, call: ast.Node, coldefs: tuple[Any, ...] | None, scope: Scope
) -> tuple[list[Col], bool, str]:
    """The columns one function in FROM returns, whether it returns a single value, and
    the composite type (or table's row type) of its rows, if it returns one."""
    if not isinstance(call, ast.FuncCall):  # FROM CURRENT_DATE
        t = expressions.expr(ctx, call, scope)
        return [Col(column_name(call), t.type or "text", t.nullable)], True, ""
    name = sval(present(call.funcname)[-1])
    if name == "unnest" and len(call.args or ()) > 1:
        cols = []
        for arg in call.args or ():
            t = expressions.expr(ctx, arg, scope)
            if t.type is None or not ctx.types.is_array(t.type):
                raise ctx.error("unnest() needs arrays; add a cast such as ::text[]", arg)
            cols.append(Col("unnest", ctx.types.elem(t.type), True))
        return cols, False, ""
    t = expressions.expr(ctx, call, scope, allow_set=True)
    if coldefs:  # AS t(a int, b text): the caller says what the record holds
        return (
            [
                Col(present(d.colname), cat.type_name(d.typeName, ctx.types, ctx.type_source), True)
                for d in coldefs
            ],
            False,
            "",
        )
    row = ctx.catalog.fields_of(t.type)
    if row is not None:  # RETURNS [SETOF] a composite or a table's row type: its fields now
        return [Col(c.name, c.type, True) for c in row], False, t.type or ""
    out = OUT_COLUMNS.get(name.lower()) or functions.out_columns(ctx, call, t.type)
    if out is not None:  # named OUT columns: jsonb_each(...) AS kv gives kv.key, kv.value
        return [Col(n, typ, nullable) for n, typ, nullable in out], False, ""
    if t.type == "record":
        raise ctx.error(
            f"the columns of {name}() are not known; name and type them "
            "(AS t(a int, b text)) or select its result in a subquery",
            call,
        )
    return [Col(name, t.type or "text", t.nullable)], True, ""


def _nullify(entries: list[Entry], star: list[StarCol]) -> Entries:
    """The side of an outer join that may be missing: every column nullable."""
    out = [
        replace(
            e, cols=[replace(c, nullable=True) for c in e.cols], rows=e.rows and "outer", outer=True
        )
        for e in entries
    ]
    return out, [replace(m, col=replace(m.col, nullable=True)) for m in star]


def _join(ctx: Context, item: ast.JoinExpr, scope: Scope) -> Entries:
    """`a JOIN b`: outer joins make the missing side nullable; USING and NATURAL merge
    columns; the ON condition sees both sides. A LATERAL subquery, and a function in FROM
    (always lateral, keyword or not), sees the left side of an INNER or LEFT join."""
    left, lstar = from_item(ctx, present(item.larg), scope)
    rarg = present(item.rarg)
    jt = present(item.jointype)
    right_scope = scope
    lateral = isinstance(rarg, ast.RangeFunction) or (
        isinstance(rarg, ast.RangeSubselect) and rarg.lateral
    )
    if lateral and jt in (JoinType.JOIN_INNER, JoinType.JOIN_LEFT):
        right_scope = Scope(entries=[*scope.entries, *left], parent=scope.parent, ctes=scope.ctes)
    right, rstar = from_item(ctx, rarg, right_scope)
    if jt in (JoinType.JOIN_RIGHT, JoinType.JOIN_FULL):
        left, lstar = _nullify(left, lstar)
    if jt in (JoinType.JOIN_LEFT, JoinType.JOIN_FULL):
        right, rstar = _nullify(right, rstar)
    entries = [*left, *right]
    using = svals(item.usingClause)
    if item.isNatural:
        rnames = {m.col.name for m in rstar}
        using = [m.col.name for m in lstar if m.col.name in rnames]
    star = _using_star(ctx, item, jt, using, lstar, rstar) if using else lstar + rstar
    if item.quals is not None:
        on_scope = Scope(entries=[*scope.entries, *entries], parent=scope.parent, ctes=scope.ctes)
        expressions.expr(ctx, item.quals, on_scope, BOOL)
    if item.alias is not None:
        e = Entry(present(item.alias.aliasname), rename([m.col for m in star], item.alias.colnames))
        return [e], star_of(e)
    return entries, star


def _using_star(
    ctx: Context,
    item: ast.JoinExpr,
    jt: JoinType,
    using: list[str],
    lstar: list[StarCol],
    rstar: list[StarCol],
) -> list[StarCol]:
    """`*` of `JOIN ... USING (a)`: the merged `a` first, then each side's other columns."""
    merged = []
    for name in using:
        lc = next((m.col for m in lstar if m.col.name == name), None)
        rc = next((m.col for m in rstar if m.col.name == name), None)
        if lc is None or rc is None:
            raise ctx.no_column(f'column "{name}" specified in USING does not exist', item)
        if jt == JoinType.JOIN_FULL:
            nullable = lc.nullable and rc.nullable
        else:
            nullable = rc.nullable if jt == JoinType.JOIN_RIGHT else lc.nullable
        merged.append(StarCol(Col(name, lc.type, nullable, None), None))
    return (
        merged
        + [m for m in lstar if m.col.name not in using]
        + [m for m in rstar if m.col.name not in using]
    )
