"""Statement shapes: SELECT (with set operations and VALUES), INSERT, UPDATE, DELETE
(utility statements such as TRUNCATE or LOCK are `utility`'s).

Each returns the statement's result columns (empty without RETURNING) and types the
expressions in every clause on the way, since a parameter anywhere may take its type from
where it is placed: an INSERT column, a SET target, a LIMIT.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from pglast import ast
from pglast.enums import OnConflictAction, SetOperation

from codegen import catalog as cat
from codegen.analyze import (
    assign,
    expressions,
    fields,
    generated,
    grouping,
    merge,
    nullability,
    returning,
    uses,
    utility,
)
from codegen.analyze import scope as sc
from codegen.analyze.colnames import column_name
from codegen.analyze.context import (
    BOOL,
    Context,
    Entry,
    Scope,
    StarCol,
    Typed,
    location_of,
    present,
    set_functions,
    subquery,
    sval,
)
from codegen.analyze.model import Col, Source
from codegen.analyze.models import table_cols

Expect = Sequence[Typed | None]  # the types output columns go into (INSERT ... SELECT)


def statement(ctx: Context, stmt: ast.Node, scope: Scope) -> list[Col]:
    """The result columns of a statement, by its shape."""
    shape = _SHAPES.get(type(stmt))
    if shape is not None:
        return shape(ctx, stmt, scope)
    if type(stmt) in utility.UTILITY:
        return utility.statement(ctx, stmt, scope)
    raise ctx.error(
        f"{_statement_name(stmt)} cannot be a query; use SELECT, INSERT, UPDATE, DELETE, MERGE or "
        "one of TRUNCATE, VACUUM, ANALYZE, NOTIFY, LISTEN, UNLISTEN, CALL, DO, "
        "REFRESH MATERIALIZED VIEW, LOCK, SET, RESET, CREATE TEMP TABLE/VIEW/SEQUENCE",
        location=0,
    )


def _statement_name(stmt: ast.Node) -> str:
    """A statement as SQL words, not the parser's class name (`AlterTableStmt` -> ALTER TABLE)."""
    words = re.findall(r"[A-Z][a-z]+", type(stmt).__name__.removesuffix("Stmt"))
    return " ".join(words).upper() or type(stmt).__name__


# -- SELECT -------------------------------------------------------------------------------


def select(ctx: Context, stmt: ast.SelectStmt, parent: Scope, expect: Expect = ()) -> list[Col]:
    """`expect`: the types the output columns go into (INSERT ... SELECT), for parameters."""
    scope = parent.child()
    sc.with_clause(ctx, stmt.withClause, scope)
    if stmt.op not in (None, SetOperation.SETOP_NONE):
        return _set_operation(ctx, stmt, scope, expect)
    if stmt.valuesLists:
        return _values(ctx, stmt.valuesLists, scope, expect)
    for item in stmt.fromClause or ():
        entries, star = sc.from_item(ctx, item, scope)
        scope.entries.extend(entries)
        scope.star.extend(star)
    uses.level(ctx, stmt, scope, stmt.whereClause, stmt.fromClause or ())
    if stmt.whereClause is not None:
        expressions.expr(ctx, stmt.whereClause, scope, BOOL)
    targets = stmt.targetList or ()
    groups = stmt.groupClause or ()
    scope.grouped = nullability.plain_groups(groups)
    with set_functions(scope):  # a set-returning function may stand here, and in GROUP BY
        cols = target_list(ctx, targets, scope, expect)
        # GROUP BY may name an output column (GROUP BY n for `name AS n`).
        scope.outputs.update({c.name: Typed(c.type, c.nullable) for c in cols})
        for g in groups:
            sort_expr(ctx, g, scope)
    cols = nullability.grouping_sets(groups, targets, cols)
    grouping.check(ctx, stmt, scope)
    if stmt.havingClause is not None:
        expressions.expr(ctx, stmt.havingClause, scope, BOOL)
    with set_functions(scope):  # and in windows, DISTINCT ON and ORDER BY
        for w in stmt.windowClause or ():
            for p in w.partitionClause or ():
                expressions.expr(ctx, p, scope)
            for s in w.orderClause or ():
                expressions.expr(ctx, s.node, scope)
        for d in stmt.distinctClause or ():
            if d is not None:
                expressions.expr(ctx, d, scope)
    _order_limit(ctx, stmt, scope, cols)
    uses.row_locks(ctx, stmt, scope)
    return cols


def _set_operation(ctx: Context, stmt: ast.SelectStmt, scope: Scope, expect: Expect) -> list[Col]:
    """UNION / INTERSECT / EXCEPT: each column's type is the two sides' common type."""
    left = select(ctx, present(stmt.larg), scope, expect)
    right = select(ctx, present(stmt.rarg), scope, expect)
    rarg = present(stmt.rarg)
    if len(left) != len(right):
        raise ctx.error(
            f"each side of a set operation must return the same columns ({len(left)} and "
            f"{len(right)})",
            _set_side(rarg, min(len(left), len(right))),
        )
    cols = []
    for i, (lc, rc) in enumerate(zip(left, right, strict=True)):
        origin = lc.origin if lc.origin == rc.origin else None
        typed = [c.type for c in (lc, rc) if not c.untyped]
        typ = ctx.types.common_type(typed) if typed else "text"
        if typ is None:
            raise ctx.error(
                f"set operation column {lc.name}: types {lc.type} and {rc.type} "
                "cannot be matched; add a cast",
                _set_side(rarg, i),
            )
        untyped = lc.untyped and rc.untyped
        cols.append(Col(lc.name, typ, lc.nullable or rc.nullable, origin, None, untyped))
    _order_limit(ctx, stmt, scope, cols)
    return cols


def _set_side(side: ast.SelectStmt, index: int) -> ast.Node | None:
    """The right side's `index`-th select-list item (its last when it has fewer), where a
    set operation's error points; the right side itself when it is VALUES or nested."""
    while side.op not in (None, SetOperation.SETOP_NONE):
        side = present(side.larg)
    targets = side.targetList or ()
    if not targets:
        return None
    target: ast.Node = targets[min(index, len(targets) - 1)]
    return target


def _values(ctx: Context, lists: tuple[Any, ...], scope: Scope, expect: Expect) -> list[Col]:
    """`VALUES (...), (...)`: column i is the common type of every row's item i."""
    rows = [
        [
            expressions.expr(ctx, e, scope, expect[i] if i < len(expect) else None)
            for i, e in enumerate(row)
        ]
        for row in lists
    ]
    values: list[Col] = []
    for i in range(len(rows[0])):
        found = [t for r in rows if (t := r[i].type) is not None]
        typ = ctx.types.common_type(found) if found else "text"
        if typ is None:
            raise ctx.error(f"VALUES column {i + 1}: types {', '.join(found)} cannot be matched")
        nullable = any(r[i].nullable for r in rows)
        values.append(Col(f"column{i + 1}", typ, nullable, untyped=not found))
    return values


def sort_expr(ctx: Context, node: ast.Node, scope: Scope) -> None:
    """An ORDER BY / GROUP BY item: a position, an output name, or an expression."""
    if isinstance(node, ast.A_Const):
        return  # ORDER BY 1
    if isinstance(node, ast.GroupingSet):
        for item in node.content or ():
            sort_expr(ctx, item, scope)
        return
    if isinstance(node, ast.RowExpr):  # GROUPING SETS ((a, b), c)
        for item in node.args or ():
            sort_expr(ctx, item, scope)
        return
    if isinstance(node, ast.ColumnRef) and len(present(node.fields)) == 1:
        name = present(node.fields)[0]
        if (
            isinstance(name, ast.String)
            and name.sval in scope.outputs
            and not sc.lookup(ctx, scope, None, sval(name), probe=True)
        ):
            return
    expressions.expr(ctx, node, scope)


def _order_limit(ctx: Context, stmt: ast.SelectStmt, scope: Scope, cols: list[Col]) -> None:
    """ORDER BY (which may name output columns), LIMIT and OFFSET (bigint)."""
    scope.outputs.update({c.name: Typed(c.type, c.nullable) for c in cols})
    with set_functions(scope):
        for s in stmt.sortClause or ():
            sort_expr(ctx, s.node, scope)
    for clause, limit in (("LIMIT", stmt.limitCount), ("OFFSET", stmt.limitOffset)):
        if limit is not None:
            got = expressions.expr(ctx, limit, scope, Typed("int8", False), hint="limit")
            assign.to_bigint(ctx, got, clause, limit)


# -- result columns -----------------------------------------------------------------------


def target_list(
    ctx: Context, targets: Sequence[ast.ResTarget], scope: Scope, expect: Expect = ()
) -> list[Col]:
    """A select list or RETURNING list as result columns; `*` and `t.*` expand here."""
    cols: list[Col] = []
    sets = [scope.sets_seen]  # set-returning functions seen before each column
    for i, t in enumerate(targets):
        val = present(t.val)
        star = fields.star(ctx, val, scope)
        if star is not None:
            cols.extend(star)
            sets += [scope.sets_seen] * len(star)
            continue
        typed = expressions.expr(ctx, val, scope, expect[i] if i < len(expect) else None)
        name = t.name or column_name(val)
        origin = None
        if isinstance(val, ast.ColumnRef):
            found = sc.resolve_column(ctx, val, scope)
            if found is None and sc.table_row(ctx, val, scope):  # `SELECT t FROM t`
                raise ctx.unsupported(
                    f"a whole row ({name}) as a result column is not supported (PostgreSQL "
                    f"types it as the table's row type); select {name}.* or "
                    f"sqlc.embed({name}), or to_jsonb({name})",
                    val,
                )
            origin = found.origin if found and found.nullable == typed.nullable else None
        untyped = typed.type is None
        cols.append(Col(name, typed.type or "text", typed.nullable, origin, untyped=untyped))
        sets.append(scope.sets_seen)
    return nullability.lockstep(cols, sets)


# -- INSERT / UPDATE / DELETE -------------------------------------------------------------


def target_entry(ctx: Context, rv: ast.RangeVar) -> tuple[cat.Table, Entry]:
    """The table a DML statement writes to, as a FROM entry under its alias."""
    t = sc.table(ctx, rv)
    if t.name in ctx.catalog.sequences:
        raise ctx.error(f'cannot change sequence "{t.name}"', rv)
    alias = present(rv.alias.aliasname) if rv.alias else present(rv.relname)
    source = Source(alias, t.name, rv.location)
    return t, Entry(alias, table_cols(t), t.name, sc.own_rows(ctx, t), source=source)


def insert(ctx: Context, stmt: ast.InsertStmt, parent: Scope) -> list[Col]:
    """`INSERT`: each value typed by its column; `RETURNING *` is the table's columns."""
    scope = parent.child()
    sc.with_clause(ctx, stmt.withClause, scope)
    t, e = target_entry(ctx, present(stmt.relation))
    targets = _insert_columns(ctx, stmt, t)
    uses.write(ctx, t.name, "insert", [c.name for c in targets], present(stmt.relation).location)
    generated.check_insert(ctx, stmt, targets)
    select_stmt = stmt.selectStmt
    if isinstance(select_stmt, ast.SelectStmt) and select_stmt.valuesLists:
        _insert_values(ctx, stmt, select_stmt.valuesLists, t.name, targets, scope)
    elif isinstance(select_stmt, ast.SelectStmt):
        # INSERT ... SELECT @x, ...: each output column goes into a target column.
        expect = [Typed(c.type, not c.not_null) for c in targets]
        outs = select(ctx, select_stmt, scope, expect)
        _insert_count(ctx, stmt, len(outs), len(targets), select_stmt.targetList or ())
        nodes = select_stmt.targetList or stmt.cols or ()
        for out, col, node in zip(outs, targets, nodes, strict=False):
            if not out.untyped:
                assign.check(ctx, Typed(out.type, out.nullable), col, node)
    scope.entries.append(e)
    if stmt.onConflictClause is not None:
        _on_conflict(ctx, stmt.onConflictClause, t, e, scope)
    scope.star = sc.star_of(e)
    return returning.dml(ctx, stmt, scope)


def _insert_values(
    ctx: Context,
    stmt: ast.InsertStmt,
    rows: Sequence[Any],
    table: str,
    targets: list[cat.Column],
    scope: Scope,
) -> None:
    """INSERT ... VALUES: each value typed by its column. A set-returning function may
    stand in a single row, as in a select list (not in several rows)."""
    with set_functions(scope, "" if len(rows) == 1 else "in VALUES"):
        for row in rows:
            _insert_count(ctx, stmt, len(row), len(targets), row)
            before = assign.settled(ctx)
            cells = list(enumerate(zip(row, targets, strict=False)))
            for i, (value, col) in assign.coercion_order(cells, lambda c: c[1][0]):
                if isinstance(value, ast.SetToDefault):
                    continue
                uses.stored(ctx, value, table, col.name, "insert")
                assign.bare_param(ctx, value, col, before)
                got = expressions.expr(
                    ctx, value, scope, Typed(col.type, not col.not_null), hint=col.name
                )
                assign.check(ctx, got, col, value, stmt.cols[i] if stmt.cols else None)


def _insert_count(
    ctx: Context, stmt: ast.InsertStmt, values: int, targets: int, row: Sequence[Any]
) -> None:
    """As many values as target columns; fewer only without a column list (the rest
    take their defaults), as PostgreSQL checks."""
    if values > targets:
        extra = row[min(targets, len(row) - 1)] if row else None  # `*`: one item, many columns
        raise ctx.error("INSERT has more expressions than target columns", extra)
    if values < targets and stmt.cols:
        raise ctx.error(
            "INSERT has more target columns than expressions", present(stmt.cols)[values]
        )


def _insert_columns(ctx: Context, stmt: ast.InsertStmt, t: cat.Table) -> list[cat.Column]:
    """The columns INSERT writes, in the order values are given."""
    if not stmt.cols:
        return list(t.columns)
    targets = []
    for rt in stmt.cols:
        col = t.column(present(rt.name))
        if col is None:
            raise ctx.no_column(f'column "{rt.name}" of relation "{t.name}" does not exist', rt)
        if rt.indirection:
            raise ctx.unsupported("assigning to a field or element is not supported", rt)
        targets.append(col)
    return targets


def _on_conflict(
    ctx: Context, conflict: ast.OnConflictClause, t: cat.Table, e: Entry, scope: Scope
) -> None:
    """`ON CONFLICT (cols) DO UPDATE SET ...`: `excluded` is the row that was proposed."""
    infer = conflict.infer
    if infer is not None:
        for elem in infer.indexElems or ():
            if elem.name and t.column(elem.name) is None:
                raise ctx.no_column(f'column "{elem.name}" does not exist', infer)
        if infer.whereClause is not None:
            expressions.expr(ctx, infer.whereClause, uses.unread(scope))  # no row read
        if conflict.action == OnConflictAction.ONCONFLICT_UPDATE:
            _arbiter(ctx, infer, t)
    if conflict.action == OnConflictAction.ONCONFLICT_UPDATE:
        excluded = Entry("excluded", [replace(c, origin=None) for c in e.cols], None)
        inner = Scope(entries=[e, excluded], parent=scope)
        assignments(ctx, conflict.targetList or (), t, inner)
        if conflict.whereClause is not None:
            expressions.expr(ctx, conflict.whereClause, inner, BOOL)


def _arbiter(ctx: Context, infer: ast.InferClause, t: cat.Table) -> None:
    """`ON CONFLICT (a, b) DO UPDATE` needs a unique index or constraint on exactly those
    columns (a partial one only with a WHERE), or PostgreSQL refuses it at PREPARE."""
    elems = infer.indexElems or ()
    if not elems or any(e.name is None for e in elems):
        return  # ON CONSTRAINT name, or an expression index: not modelled, left to the server
    wanted = frozenset[str | None](present(e.name) for e in elems)
    keys = ctx.catalog.arbiters(t.name)  # an expression index matches no plain column list
    if not any(k == wanted and (not partial or infer.whereClause) for k, partial in keys):
        raise ctx.error(
            "there is no unique or exclusion constraint matching the ON CONFLICT "
            f"specification ({', '.join(present(e.name) for e in elems)})",
            infer,
        )


def assignments(ctx: Context, targets: Sequence[ast.ResTarget], t: cat.Table, scope: Scope) -> None:
    """`SET col = value, ...` (UPDATE and ON CONFLICT DO UPDATE)."""
    subqueries: dict[int, list[Col]] = {}  # SET (a, b) = (SELECT ...), by location
    uses.write(ctx, t.name, "update", [present(rt.name) for rt in targets])
    before = assign.settled(ctx)
    for rt in assign.coercion_order(targets, lambda rt: rt.val):
        val: ast.Node | None = present(rt.val)
        col = t.column(present(rt.name))
        if col is None:
            raise ctx.no_column(f'column "{rt.name}" of relation "{t.name}" does not exist', rt)
        if isinstance(val, ast.MultiAssignRef):
            val = _multi_assign(ctx, val, col, scope, subqueries)
        generated.check_assignment(ctx, col, val, rt)
        if val is None or isinstance(val, ast.SetToDefault):
            continue
        uses.stored(ctx, val, t.name, col.name, "set")
        assign.bare_param(ctx, val, col, before)
        got = expressions.expr(ctx, val, scope, Typed(col.type, not col.not_null), hint=col.name)
        assign.check(ctx, got, col, val, rt)


def _multi_assign(
    ctx: Context,
    ref: ast.MultiAssignRef,
    col: cat.Column,
    scope: Scope,
    subqueries: dict[int, list[Col]],
) -> ast.Node | None:
    """`SET (a, b) = (x, y)`: the value for one column, typed as a plain SET then; or
    `SET (a, b) = (SELECT ...)`: the subquery typed once, its column checked here (None)."""
    source = present(ref.source)
    index, count = present(ref.colno) - 1, present(ref.ncolumns)
    if isinstance(source, ast.RowExpr):
        values = source.args or ()
        if len(values) != count:
            raise ctx.error("number of columns does not match number of values", source)
        value: ast.Node = values[index]
        return value
    if not isinstance(source, ast.SubLink):
        raise ctx.error("(a, b) = ... needs a row (x, y) or a subquery (SELECT x, y ...)", source)
    key = location_of(source) or 0
    if key not in subqueries:
        subqueries[key] = select(ctx, subquery(source.subselect), scope)
    cols = subqueries[key]
    if len(cols) != count:
        raise ctx.error("number of columns does not match number of values", source)
    assign.check(ctx, Typed(cols[index].type, True), col, source)
    return None


def update(ctx: Context, stmt: ast.UpdateStmt, parent: Scope) -> list[Col]:
    """`UPDATE ... SET ... FROM ... WHERE ... RETURNING`, typed in PostgreSQL's order:
    FROM, WHERE, then SET (a parameter in both is typed by WHERE: `SET label = @x WHERE
    id = @x` makes @x an integer, which text accepts by assignment)."""
    t, star, scope = _write_scope(ctx, stmt, stmt.fromClause, parent)
    return _where_returning(ctx, stmt, scope, star, t)


def delete(ctx: Context, stmt: ast.DeleteStmt, parent: Scope) -> list[Col]:
    """`DELETE ... USING ... WHERE ... RETURNING`."""
    t, star, scope = _write_scope(ctx, stmt, stmt.usingClause, parent)
    uses.write(ctx, t.name, "delete", ())
    return _where_returning(ctx, stmt, scope, star)


def _write_scope(
    ctx: Context,
    stmt: ast.UpdateStmt | ast.DeleteStmt,
    others: tuple[Any, ...] | None,
    parent: Scope,
) -> tuple[cat.Table, list[StarCol], Scope]:
    """The scope of UPDATE/DELETE: its CTEs, the target table, then FROM / USING items;
    and what `RETURNING *` returns: the target's columns, then those of every FROM / USING
    item (as PostgreSQL does)."""
    scope = parent.child()
    sc.with_clause(ctx, stmt.withClause, scope)
    t, e = target_entry(ctx, present(stmt.relation))
    scope.entries.append(e)
    star = sc.star_of(e)
    for item in others or ():
        entries, more = sc.from_item(ctx, item, scope)
        scope.entries.extend(entries)
        star += more
    uses.level(ctx, stmt, scope, stmt.whereClause, others or ())
    return t, star, scope


def _where_returning(
    ctx: Context,
    stmt: ast.UpdateStmt | ast.DeleteStmt,
    scope: Scope,
    star: list[StarCol],
    target: cat.Table | None = None,
) -> list[Col]:
    """WHERE, an UPDATE's SET, then RETURNING (`*` is only for RETURNING: WHERE sees no
    merged columns)."""
    if stmt.whereClause is not None:
        expressions.expr(ctx, stmt.whereClause, scope, BOOL)
    if isinstance(stmt, ast.UpdateStmt) and target is not None:
        assignments(ctx, stmt.targetList or (), target, scope)
    scope.star = star
    return returning.dml(ctx, stmt, scope)


_SHAPES: dict[type[ast.Node], Callable[[Context, Any, Scope], list[Col]]] = {
    ast.SelectStmt: select,
    ast.InsertStmt: insert,
    ast.UpdateStmt: update,
    ast.DeleteStmt: delete,
    ast.MergeStmt: lambda ctx, stmt, scope: merge.merge(ctx, stmt, scope),
}
