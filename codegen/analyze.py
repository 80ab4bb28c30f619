"""Stage 3 — analyze: infer each parameter's and result column's type and nullability.

Works on the parse tree from stage 1 and the catalog from stage 2, without a database.
Types follow PostgreSQL's own rules (functions, operators and implicit casts come from
`pgtypes`, dumped from a real server); nullability follows the SQL: NOT NULL columns,
outer joins, strict functions, aggregates over possibly empty input, COALESCE and CASE.
Anything it cannot type is an error that names the spot and suggests a cast, never a
silent `Any`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pglast import ast as _ast
from pglast.enums import (
    A_Expr_Kind,
    GroupingSetKind,
    JoinType,
    MinMaxOp,
    OnConflictAction,
    SetOperation,
    SQLValueFunctionOp,
    SubLinkType,
)

from codegen import catalog as cat
from codegen.errors import CodegenError, SourceText
from codegen.parse import Query
from codegen.pgtypes import Choice, TypeSpace, builtins, resolve_function, resolve_operator

# pglast types every AST field as Optional; the analyzer checks shapes itself.
ast: Any = _ast


@dataclass(frozen=True)
class Col:
    """A result column; `origin` is (table, column) when it is a table's column as is."""

    name: str
    type: str
    nullable: bool
    origin: tuple[str, str] | None = None
    embed: str | None = None
    # An untyped literal or NULL: text unless a set operation's other side says otherwise.
    untyped: bool = False


@dataclass(frozen=True)
class ParamInfo:
    number: int
    name: str
    type: str
    nullable: bool
    is_slice: bool


@dataclass(frozen=True)
class Analysis:
    """Everything the renderer needs to know about one query."""

    query: Query
    params: tuple[ParamInfo, ...]
    columns: tuple[Col, ...]
    model: str | None  # table whose model the rows are, when they are exactly its columns
    statement: str  # select / insert / update / delete
    table: str | None  # the table written to, for DML
    copy_columns: tuple[str, ...] = ()  # :copyfrom column list, in parameter order
    always_one_row: bool = False  # an aggregate without GROUP BY: exactly one row, always


# Strict functions that still return NULL for some non-NULL inputs.
_NULL_ON_VALUE = {
    "nullif",
    "array_position",
    "array_length",
    "array_lower",
    "array_upper",
    "array_ndims",
    "regexp_match",
    "substring",
    "jsonb_extract_path",
    "jsonb_extract_path_text",
    "json_extract_path",
    "json_extract_path_text",
    "jsonb_path_query_first",
    "to_regclass",
    "to_regtype",
}
_NULL_ON_VALUE_OPS = {"->", "->>", "#>", "#>>"}
# Non-strict functions that never return NULL.
_NEVER_NULL = {"concat", "concat_ws", "format", "num_nulls", "num_nonnulls", "now"}
_WINDOW_NOT_NULL = {"row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile"}
_COMPARISONS = {"=", "<>", "!=", "<", ">", "<=", ">="}


@dataclass(frozen=True)
class Typed:
    type: str | None  # None: unknown (an untyped literal, NULL or an unplaced parameter)
    nullable: bool


@dataclass
class Entry:
    """A FROM item as seen by expressions: its name, columns and the table behind it."""

    alias: str
    cols: list[Col]
    table: str | None = None


@dataclass
class Scope:
    entries: list[Entry] = field(default_factory=list)
    star: list[Col] = field(default_factory=list)
    parent: Scope | None = None
    ctes: dict[str, tuple[list[Col], str | None]] = field(default_factory=dict)
    # output aliases usable in ORDER BY / GROUP BY
    outputs: dict[str, Typed] = field(default_factory=dict)

    def cte(self, name: str) -> tuple[list[Col], str | None] | None:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.ctes:
                return scope.ctes[name]
            scope = scope.parent
        return None

    def child(self) -> Scope:
        return Scope(parent=self)


class _Unsupported(Exception):
    def __init__(self, what: str, location: int | None) -> None:
        super().__init__(what)
        self.what = what
        self.location = location


def _loc(node: Any) -> int | None:
    loc = getattr(node, "location", None)
    return loc if isinstance(loc, int) and loc >= 0 else None


class Analyzer:
    """Types one statement. State: the parameters typed so far."""

    def __init__(self, catalog: cat.Catalog, query: Query | None, source: SourceText) -> None:
        self.catalog = catalog
        self.types: TypeSpace = catalog.types
        self.query = query
        self.source = source
        self.param_types: dict[int, Typed] = {}
        self.param_hints: dict[int, str] = {}  # positional parameter names from context
        self.param_locs: dict[int, int] = {}

    # -- errors -------------------------------------------------------------------

    def error(self, message: str, node: Any = None, location: int | None = None) -> CodegenError:
        loc = location if location is not None else _loc(node)
        if self.query is not None:
            return self.query.error(message, loc)
        return CodegenError(message, self.source, loc or 0)

    # -- parameters ---------------------------------------------------------------

    def _param_declared_nullable(self, number: int) -> bool | None:
        if self.query is None:
            return None
        for p in self.query.params:
            if p.number == number:
                return p.nullable
        return None

    def param(self, node: Any, expect: Typed | None, hint: str | None = None) -> Typed:
        number = node.number
        self.param_locs.setdefault(number, node.location)
        if hint and number not in self.param_hints:
            self.param_hints[number] = hint
        declared = self._param_declared_nullable(number)
        known = self.param_types.get(number)
        if known is not None and known.type is not None:
            nullable = known.nullable if declared is None else declared
            return Typed(known.type, nullable)
        if expect is None or expect.type is None:
            return Typed(None, bool(declared))
        nullable = expect.nullable if declared is None else declared
        self.param_types[number] = Typed(expect.type, nullable)
        return Typed(expect.type, nullable)

    # -- statements ---------------------------------------------------------------

    def statement(self, stmt: Any, scope: Scope) -> list[Col]:
        if isinstance(stmt, ast.SelectStmt):
            return self.select(stmt, scope)
        if isinstance(stmt, ast.InsertStmt):
            return self.insert(stmt, scope)
        if isinstance(stmt, ast.UpdateStmt):
            return self.update(stmt, scope)
        if isinstance(stmt, ast.DeleteStmt):
            return self.delete(stmt, scope)
        raise self.error(
            f"{type(stmt).__name__} is not a query; use SELECT, INSERT, UPDATE or DELETE"
        )

    def with_clause(self, clause: Any, scope: Scope) -> None:
        if clause is None:
            return
        for cte in clause.ctes:
            inner = scope.child()
            query = cte.ctequery
            if clause.recursive and isinstance(query, ast.SelectStmt) and query.larg is not None:
                # The non-recursive term fixes the columns; the rest may refer to itself.
                first = self.select(query.larg, inner)
                cols = self._rename(first, cte.aliascolnames)
                scope.ctes[cte.ctename] = (cols, None)
                rest = self.select(query.rarg, scope.child())
                cols = [
                    replace(c, nullable=c.nullable or (i < len(rest) and rest[i].nullable))
                    for i, c in enumerate(cols)
                ]
                scope.ctes[cte.ctename] = (cols, None)
                continue
            cols = self.statement(query, inner)
            cols = self._rename(cols, cte.aliascolnames)
            scope.ctes[cte.ctename] = (cols, self._whole_table(cols))

    def _rename(self, cols: list[Col], names: Sequence[Any] | None) -> list[Col]:
        if not names:
            return cols
        renamed = [n.sval for n in names]
        return [
            replace(c, name=renamed[i], origin=None) if i < len(renamed) else c
            for i, c in enumerate(cols)
        ]

    def select(self, stmt: Any, parent: Scope, expect: Sequence[Typed | None] = ()) -> list[Col]:
        """`expect`: the types the output columns go into (INSERT ... SELECT), for parameters."""
        scope = parent.child()
        self.with_clause(stmt.withClause, scope)
        if stmt.op != SetOperation.SETOP_NONE:
            left = self.select(stmt.larg, scope, expect)
            right = self.select(stmt.rarg, scope, expect)
            if len(left) != len(right):
                raise self.error("each side of a set operation must return the same columns")
            cols = []
            for lc, rc in zip(left, right, strict=True):
                origin = lc.origin if lc.origin == rc.origin else None
                typed = [c.type for c in (lc, rc) if not c.untyped]
                typ = self.types.common_type(typed) if typed else "text"
                if typ is None:
                    raise self.error(
                        f"set operation column {lc.name}: types {lc.type} and {rc.type} "
                        "cannot be matched; add a cast"
                    )
                untyped = lc.untyped and rc.untyped
                cols.append(Col(lc.name, typ, lc.nullable or rc.nullable, origin, None, untyped))
            self._order_limit(stmt, scope, cols)
            return cols
        if stmt.valuesLists:
            rows = [
                [
                    self.expr(e, scope, expect[i] if i < len(expect) else None)
                    for i, e in enumerate(row)
                ]
                for row in stmt.valuesLists
            ]
            values: list[Col] = []
            for i in range(len(rows[0])):
                found = [t for r in rows if (t := r[i].type) is not None]
                typ = self.types.common_type(found) if found else "text"
                if typ is None:
                    raise self.error(
                        f"VALUES column {i + 1}: types {', '.join(found)} cannot be matched"
                    )
                nullable = any(r[i].nullable for r in rows)
                values.append(Col(f"column{i + 1}", typ, nullable, untyped=not found))
            return values
        for item in stmt.fromClause or ():
            entries, star = self.from_item(item, scope)
            scope.entries.extend(entries)
            scope.star.extend(star)
        if stmt.whereClause is not None:
            self.expr(stmt.whereClause, scope, Typed("bool", False))
        cols = self.targets(stmt.targetList or (), scope, expect)
        # GROUP BY may name an output column (GROUP BY n for `name AS n`).
        scope.outputs.update({c.name: Typed(c.type, c.nullable) for c in cols})
        for g in stmt.groupClause or ():
            self._sort_expr(g, scope)
        if any(_is_grouping_set(g) for g in stmt.groupClause or ()):
            # ROLLUP, CUBE and GROUPING SETS return NULL for what a subtotal row rolls up.
            cols = [
                c if _is_aggregate_target(t) else replace(c, nullable=True)
                for c, t in zip(cols, _expanded_targets(stmt.targetList or (), cols), strict=True)
            ]
        if stmt.havingClause is not None:
            self.expr(stmt.havingClause, scope, Typed("bool", False))
        for w in stmt.windowClause or ():
            for p in w.partitionClause or ():
                self.expr(p, scope)
            for s in w.orderClause or ():
                self.expr(s.node, scope)
        for d in stmt.distinctClause or ():
            if d is not None:
                self.expr(d, scope)
        self._order_limit(stmt, scope, cols)
        return cols

    def _sort_expr(self, node: Any, scope: Scope) -> None:
        if isinstance(node, ast.A_Const):
            return  # ORDER BY 1
        if isinstance(node, ast.GroupingSet):
            for item in node.content or ():
                self._sort_expr(item, scope)
            return
        if isinstance(node, ast.RowExpr):  # GROUPING SETS ((a, b), c)
            for item in node.args or ():
                self._sort_expr(item, scope)
            return
        if isinstance(node, ast.ColumnRef) and len(node.fields) == 1:
            name = node.fields[0]
            if (
                isinstance(name, ast.String)
                and name.sval in scope.outputs
                and not self._lookup(scope, None, name.sval, probe=True)
            ):
                return
        self.expr(node, scope)

    def _order_limit(self, stmt: Any, scope: Scope, cols: list[Col]) -> None:
        scope.outputs.update({c.name: Typed(c.type, c.nullable) for c in cols})
        for s in stmt.sortClause or ():
            self._sort_expr(s.node, scope)
        for limit in (stmt.limitCount, stmt.limitOffset):
            if limit is not None:
                self.expr(limit, scope, Typed("int8", False), hint="limit")

    def targets(
        self, targets: Sequence[ast.ResTarget], scope: Scope, expect: Sequence[Typed | None] = ()
    ) -> list[Col]:
        cols: list[Col] = []
        embeds = {e.name for e in self.query.embeds} if self.query else set()
        for i, t in enumerate(targets):
            val = t.val
            if isinstance(val, ast.ColumnRef) and isinstance(val.fields[-1], ast.A_Star):
                if len(val.fields) == 1:
                    if not scope.star:
                        raise self.error("SELECT * with no tables", val)
                    cols.extend(scope.star)
                else:
                    qual = val.fields[-2].sval
                    entry = self._entry(scope, qual, val)
                    embed = qual if qual in embeds else None
                    if embed and (entry.table is None or self._whole_table(entry.cols) is None):
                        raise self.error(
                            f"sqlc.embed({qual}) needs a table that is not outer-joined", val
                        )
                    cols.extend(replace(c, embed=embed) for c in entry.cols)
                continue
            typed = self.expr(val, scope, expect[i] if i < len(expect) else None)
            name = t.name or self.column_name(val)
            origin = None
            if isinstance(val, ast.ColumnRef):
                found = self._resolve_column(val, scope)
                origin = found.origin if found and found.nullable == typed.nullable else None
            untyped = typed.type is None
            cols.append(Col(name, typed.type or "text", typed.nullable, origin, untyped=untyped))
        return cols

    def column_name(self, node: Any) -> str:
        """The name PostgreSQL gives an unaliased output column (FigureColname)."""
        if isinstance(node, ast.ColumnRef):
            last = node.fields[-1]
            return last.sval if isinstance(last, ast.String) else "?column?"
        if isinstance(node, ast.FuncCall):
            return str(node.funcname[-1].sval)
        if isinstance(node, ast.TypeCast):
            inner = self.column_name(node.arg)
            if inner == "?column?":
                return str(node.typeName.names[-1].sval)
            return inner
        if isinstance(node, ast.CoalesceExpr):
            return "coalesce"
        if isinstance(node, ast.CaseExpr):
            return "case"
        if isinstance(node, ast.MinMaxExpr):
            return "greatest" if node.op == MinMaxOp.IS_GREATEST else "least"
        if isinstance(node, ast.A_Expr) and node.kind == A_Expr_Kind.AEXPR_NULLIF:
            return "nullif"
        if isinstance(node, ast.SubLink):
            if node.subLinkType == SubLinkType.EXISTS_SUBLINK:
                return "exists"
            if node.subLinkType == SubLinkType.ARRAY_SUBLINK:
                return "array"
            if node.subLinkType == SubLinkType.EXPR_SUBLINK:
                inner_t = node.subselect.targetList
                if inner_t and len(inner_t) == 1:
                    return inner_t[0].name or self.column_name(inner_t[0].val)
        if isinstance(node, ast.A_ArrayExpr):
            return "array"
        if isinstance(node, ast.A_Indirection):
            return self.column_name(node.arg)
        if isinstance(node, ast.SQLValueFunction):
            return SQLValueFunctionOp(node.op).name.removeprefix("SVFOP_").lower()
        return "?column?"

    def _returning(self, stmt: Any, scope: Scope) -> list[Col]:
        clause = getattr(stmt, "returningClause", None)
        targets = clause.exprs if clause is not None else getattr(stmt, "returningList", None)
        return self.targets(targets or (), scope) if targets else []

    def _target_entry(self, rv: Any) -> tuple[cat.Table, Entry]:
        table = self._table(rv)
        alias = rv.alias.aliasname if rv.alias else table.name
        entry = Entry(
            alias,
            [Col(c.name, c.type, not c.not_null, (table.name, c.name)) for c in table.columns],
            table.name,
        )
        return table, entry

    def insert(self, stmt: Any, parent: Scope) -> list[Col]:
        scope = parent.child()
        self.with_clause(stmt.withClause, scope)
        table, entry = self._target_entry(stmt.relation)
        if stmt.cols:
            targets = []
            for rt in stmt.cols:
                col = table.column(rt.name)
                if col is None:
                    raise self.error(
                        f'column "{rt.name}" of relation "{table.name}" does not exist', rt
                    )
                if rt.indirection:
                    raise self.error("assigning to a field or element is not supported", rt)
                targets.append(col)
        else:
            targets = list(table.columns)
        select = stmt.selectStmt
        if select is not None:
            if isinstance(select, ast.SelectStmt) and select.valuesLists:
                for row in select.valuesLists:
                    if len(row) > len(targets):
                        raise self.error("INSERT has more expressions than target columns", row[0])
                    for value, col in zip(row, targets, strict=False):
                        if isinstance(value, ast.SetToDefault):
                            continue
                        got = self.expr(
                            value, scope, Typed(col.type, not col.not_null), hint=col.name
                        )
                        self._check_assign(got, col, value)
            elif isinstance(select, ast.SelectStmt):
                # INSERT ... SELECT @x, ...: each output column goes into a target column.
                expect = [Typed(c.type, not c.not_null) for c in targets]
                cols = self.select(select, scope, expect)
                if len(cols) > len(targets):
                    raise self.error("INSERT has more expressions than target columns", select)
        conflict = stmt.onConflictClause
        scope.entries.append(entry)
        if conflict is not None:
            if conflict.infer is not None:
                for elem in conflict.infer.indexElems or ():
                    if elem.name and table.column(elem.name) is None:
                        raise self.error(f'column "{elem.name}" does not exist', conflict.infer)
                if conflict.infer.whereClause is not None:
                    self.expr(conflict.infer.whereClause, scope)
            if conflict.action == OnConflictAction.ONCONFLICT_UPDATE:
                excluded = Entry("excluded", [replace(c, origin=None) for c in entry.cols], None)
                inner = Scope(entries=[entry, excluded], parent=scope)
                self._assignments(conflict.targetList, table, inner)
                if conflict.whereClause is not None:
                    self.expr(conflict.whereClause, inner, Typed("bool", False))
        scope.star = list(entry.cols)
        return self._returning(stmt, scope)

    def _check_assign(self, got: Typed, col: cat.Column, node: Any) -> None:
        if got.type is None or got.type == col.type:
            return
        if self.types.coercible(got.type, col.type) or self._assignment_cast(got.type, col.type):
            return
        raise self.error(
            f'column "{col.name}" is of type {col.type} but the expression is of type {got.type}',
            node,
        )

    def _assignment_cast(self, source: str, target: str) -> bool:
        # Assignment casts PostgreSQL also applies on INSERT/UPDATE (numeric narrowing, text).
        cats = (self.types.category(source), self.types.category(target))
        return cats in {("N", "N"), ("S", "S")} or target in ("text", "varchar", "bpchar")

    def _assignments(self, targets: Sequence[Any], table: cat.Table, scope: Scope) -> None:
        for rt in targets or ():
            if isinstance(rt.val, ast.MultiAssignRef):
                raise self.error("(a, b) = (...) assignments are not supported; assign each", rt)
            col = table.column(rt.name)
            if col is None:
                raise self.error(
                    f'column "{rt.name}" of relation "{table.name}" does not exist', rt
                )
            if isinstance(rt.val, ast.SetToDefault):
                continue
            got = self.expr(rt.val, scope, Typed(col.type, not col.not_null), hint=col.name)
            self._check_assign(got, col, rt.val)

    def update(self, stmt: Any, parent: Scope) -> list[Col]:
        scope = parent.child()
        self.with_clause(stmt.withClause, scope)
        table, entry = self._target_entry(stmt.relation)
        scope.entries.append(entry)
        for item in stmt.fromClause or ():
            entries, _ = self.from_item(item, scope)
            scope.entries.extend(entries)
        self._assignments(stmt.targetList, table, scope)
        if stmt.whereClause is not None:
            self.expr(stmt.whereClause, scope, Typed("bool", False))
        scope.star = list(entry.cols)
        return self._returning(stmt, scope)

    def delete(self, stmt: Any, parent: Scope) -> list[Col]:
        scope = parent.child()
        self.with_clause(stmt.withClause, scope)
        _, entry = self._target_entry(stmt.relation)
        scope.entries.append(entry)
        for item in stmt.usingClause or ():
            entries, _ = self.from_item(item, scope)
            scope.entries.extend(entries)
        if stmt.whereClause is not None:
            self.expr(stmt.whereClause, scope, Typed("bool", False))
        scope.star = list(entry.cols)
        return self._returning(stmt, scope)

    # -- FROM ---------------------------------------------------------------------

    def _table(self, rv: Any) -> cat.Table:
        if rv.schemaname not in (None, "public"):
            raise self.error(f'relation "{rv.schemaname}.{rv.relname}" does not exist', rv)
        table = self.catalog.tables.get(rv.relname)
        if table is None:
            raise self.error(f'relation "{rv.relname}" does not exist', rv)
        return table

    def from_item(self, item: Any, scope: Scope) -> tuple[list[Entry], list[Col]]:
        if isinstance(item, ast.RangeVar):
            cte = scope.cte(item.relname) if item.schemaname is None else None
            alias = item.alias.aliasname if item.alias else item.relname
            if cte is not None:
                cols, whole = cte
                cols = self._rename(cols, item.alias.colnames if item.alias else None)
                entry = Entry(alias, list(cols), whole)
            else:
                table = self._table(item)
                cols = [
                    Col(c.name, c.type, not c.not_null, (table.name, c.name)) for c in table.columns
                ]
                cols = self._rename(cols, item.alias.colnames if item.alias else None)
                entry = Entry(alias, cols, table.name)
            return [entry], list(entry.cols)
        if isinstance(item, ast.RangeSubselect):
            inner = scope if item.lateral else Scope(parent=scope.parent, ctes=scope.ctes)
            cols = self.select(item.subquery, inner)
            cols = self._rename(cols, item.alias.colnames if item.alias else None)
            alias = item.alias.aliasname if item.alias else ""
            entry = Entry(alias, cols, self._whole_table(cols))
            return [entry], list(cols)
        if isinstance(item, ast.RangeFunction):
            return self._range_function(item, scope)
        if isinstance(item, ast.JoinExpr):
            return self._join(item, scope)
        raise self.error(f"unsupported FROM item {type(item).__name__}", item)

    def _range_function(self, item: Any, scope: Scope) -> tuple[list[Entry], list[Col]]:
        cols: list[Col] = []
        for pair in item.functions:
            call = pair[0]
            if not isinstance(call, ast.FuncCall):
                raise self.error("unsupported function in FROM", call)
            name = call.funcname[-1].sval
            if name == "unnest" and len(call.args or ()) > 1:
                for arg in call.args:
                    t = self.expr(arg, scope)
                    if t.type is None or not self.types.is_array(t.type):
                        raise self.error("unnest() needs arrays; add a cast such as ::text[]", arg)
                    cols.append(Col("unnest", self.types.elem(t.type), True))
                continue
            t = self.expr(call, scope, allow_set=True)
            cols.append(Col(name, t.type or "text", t.nullable))
        if item.ordinality:
            cols.append(Col("ordinality", "int8", False))
        alias = item.alias.aliasname if item.alias else cols[0].name
        names = item.alias.colnames if item.alias else None
        if names is None and item.alias and len(cols) == 1:
            cols = [replace(cols[0], name=alias)]
        cols = self._rename(cols, names)
        entry = Entry(alias, cols)
        return [entry], list(cols)

    def _join(self, item: Any, scope: Scope) -> tuple[list[Entry], list[Col]]:
        left, lstar = self.from_item(item.larg, scope)
        right_scope = scope
        if isinstance(item.rarg, (ast.RangeSubselect, ast.RangeFunction)) and getattr(
            item.rarg, "lateral", False
        ):
            right_scope = Scope(
                entries=[*scope.entries, *left], parent=scope.parent, ctes=scope.ctes
            )
        right, rstar = self.from_item(item.rarg, right_scope)
        jt = item.jointype
        null_left = jt in (JoinType.JOIN_RIGHT, JoinType.JOIN_FULL)
        null_right = jt in (JoinType.JOIN_LEFT, JoinType.JOIN_FULL)

        def nullify(entries: list[Entry], star: list[Col]) -> tuple[list[Entry], list[Col]]:
            out = [
                Entry(e.alias, [replace(c, nullable=True) for c in e.cols], e.table)
                for e in entries
            ]
            return out, [replace(c, nullable=True) for c in star]

        if null_left:
            left, lstar = nullify(left, lstar)
        if null_right:
            right, rstar = nullify(right, rstar)
        entries = [*left, *right]
        using: list[str] = [u.sval for u in item.usingClause or ()]
        if item.isNatural:
            rnames = {c.name for c in rstar}
            using = [c.name for c in lstar if c.name in rnames]
        if using:
            merged = []
            for name in using:
                lc = next((c for c in lstar if c.name == name), None)
                rc = next((c for c in rstar if c.name == name), None)
                if lc is None or rc is None:
                    raise self.error(f'column "{name}" specified in USING does not exist', item)
                nullable = (
                    (lc.nullable and rc.nullable)
                    if jt == JoinType.JOIN_FULL
                    else (rc.nullable if jt == JoinType.JOIN_RIGHT else lc.nullable)
                )
                merged.append(Col(name, lc.type, nullable, None))
            star = (
                merged
                + [c for c in lstar if c.name not in using]
                + [c for c in rstar if c.name not in using]
            )
        else:
            star = lstar + rstar
        if item.quals is not None:
            self.expr(
                item.quals,
                Scope(entries=[*scope.entries, *entries], parent=scope.parent, ctes=scope.ctes),
                Typed("bool", False),
            )
        if item.alias is not None:
            cols = self._rename(star, item.alias.colnames)
            return [Entry(item.alias.aliasname, cols)], cols
        return entries, star

    def _whole_table(self, cols: Sequence[Col]) -> str | None:
        """The table whose model these columns are, if they are exactly its columns."""
        if not cols or cols[0].origin is None:
            return None
        table = self.catalog.tables.get(cols[0].origin[0])
        if table is None or len(table.columns) != len(cols):
            return None
        for col, tcol in zip(cols, table.columns, strict=True):
            if (
                col.origin != (table.name, tcol.name)
                or col.name != tcol.name
                or col.type != tcol.type
                or col.nullable != (not tcol.not_null)
            ):
                return None
        return table.name

    # -- names --------------------------------------------------------------------

    def _has_entry(self, scope: Scope, alias: str) -> bool:
        s: Scope | None = scope
        while s is not None:
            if any(e.alias == alias for e in s.entries):
                return True
            s = s.parent
        return False

    def _entry(self, scope: Scope, qual: str, node: Any) -> Entry:
        s: Scope | None = scope
        while s is not None:
            for e in s.entries:
                if e.alias == qual:
                    return e
            s = s.parent
        raise self.error(f'missing FROM-clause entry for table "{qual}"', node)

    def _lookup(self, scope: Scope, qual: str | None, name: str, probe: bool = False) -> Col | None:
        s: Scope | None = scope
        while s is not None:
            found: list[Col] = []
            for e in s.entries:
                if qual is not None and e.alias != qual:
                    continue
                found.extend(c for c in e.cols if c.name == name)
            if qual is None and not found:
                # USING columns appear merged in the star list only.
                found.extend(c for c in s.star if c.name == name and c.origin is None)
            if len(found) > 1 and qual is None:
                merged = [c for c in s.star if c.name == name]
                if len(merged) == 1:
                    return merged[0]
                if probe:
                    return found[0]
                raise self.error(f'column reference "{name}" is ambiguous')
            if found:
                return found[0]
            if qual is not None and any(e.alias == qual for e in s.entries):
                return None
            s = s.parent
        return None

    def _resolve_column(self, node: Any, scope: Scope) -> Col | None:
        names = [f.sval for f in node.fields if isinstance(f, ast.String)]
        if len(names) == 1:
            return self._lookup(scope, None, names[0], probe=True)
        return self._lookup(scope, names[-2], names[-1], probe=True)

    def column(self, node: Any, scope: Scope) -> Typed:
        fields = node.fields
        if any(isinstance(f, ast.A_Star) for f in fields):
            raise self.error("a row (t.*) is not supported in an expression", node)
        names = [f.sval for f in fields]
        if len(names) == 1:
            col = self._lookup(scope, None, names[0])
            if col is None:
                out = scope.outputs.get(names[0])
                if out is not None:
                    return out
                if self._has_entry(scope, names[0]):
                    # A whole-row reference: to_jsonb(t), jsonb_agg(t), row_to_json(t).
                    return Typed("record", False)
                raise self.error(f'column "{names[0]}" does not exist', node)
        else:
            qual, name = names[-2], names[-1]
            self._entry(scope, qual, node)
            col = self._lookup(scope, qual, name)
            if col is None:
                raise self.error(f"column {qual}.{name} does not exist", node)
        return Typed(col.type, col.nullable)

    # -- expressions --------------------------------------------------------------

    def expr(
        self,
        node: Any,
        scope: Scope,
        expect: Typed | None = None,
        hint: str | None = None,
        allow_set: bool = False,
    ) -> Typed:
        if isinstance(node, ast.ParamRef):
            return self.param(node, expect, hint)
        if isinstance(node, ast.ColumnRef):
            return self.column(node, scope)
        if isinstance(node, ast.A_Const):
            return self.const(node, expect)
        if isinstance(node, ast.TypeCast):
            target = cat.type_name(node.typeName, self.types, self.source_for_types)
            inner = self.expr(node.arg, scope, Typed(target, False), hint=hint)
            return Typed(target, inner.nullable)
        if isinstance(node, ast.A_Expr):
            return self.a_expr(node, scope, expect, hint)
        if isinstance(node, ast.BoolExpr):
            args = [self.expr(a, scope, Typed("bool", False)) for a in node.args]
            return Typed("bool", any(a.nullable for a in args))
        if isinstance(node, ast.NullTest):
            self.expr(node.arg, scope)
            return Typed("bool", False)
        if isinstance(node, ast.BooleanTest):
            self.expr(node.arg, scope, Typed("bool", False))
            return Typed("bool", False)
        if isinstance(node, ast.FuncCall):
            return self.func(node, scope, expect, allow_set)
        if isinstance(node, ast.CoalesceExpr):
            return self._common(node.args, scope, expect, all_null=True, node=node)
        if isinstance(node, ast.MinMaxExpr):
            return self._common(node.args, scope, expect, all_null=True, node=node)
        if isinstance(node, ast.CaseExpr):
            return self.case(node, scope, expect)
        if isinstance(node, ast.SubLink):
            return self.sublink(node, scope)
        if isinstance(node, ast.A_ArrayExpr):
            elem = Typed(self.types.elem(expect.type), False) if expect and expect.type else None
            elements = list(node.elements or ())
            items = [self.expr(e, scope, elem) for e in elements]
            known = [i.type for i in items if i.type]
            if not known:
                if expect and expect.type:
                    return Typed(expect.type, False)
                if elements and all(isinstance(e, ast.A_Const) for e in elements):
                    return Typed("_text", False)  # ARRAY['a', 'b'] is text[]
                if any(isinstance(e, ast.ParamRef) for e in elements):
                    return Typed(None, False)  # ARRAY[@x]: typed by where it is used
                raise self.error("cannot infer the type of this ARRAY[]; add a cast", node)
            typ = self.types.common_type(known)
            if typ is None:
                raise self.error(f"ARRAY[] types {', '.join(known)} cannot be matched", node)
            if len(known) < len(items):
                items = [
                    self.expr(e, scope, Typed(typ, False)) if i.type is None else i
                    for e, i in zip(elements, items, strict=True)
                ]
            return Typed(self.types.array_of(typ), False)
        if isinstance(node, ast.SQLValueFunction):
            return Typed(_SVF_TYPES.get(SQLValueFunctionOp(node.op).name, "text"), False)
        if isinstance(node, ast.CollateClause):
            return self.expr(node.arg, scope, expect, hint)
        if isinstance(node, ast.A_Indirection):
            base = self.expr(node.arg, scope)
            typ = base.type
            for ind in node.indirection:
                if isinstance(ind, ast.A_Indices):
                    for bound in (ind.lidx, ind.uidx):
                        if bound is not None:
                            self.expr(bound, scope, Typed("int4", False))
                    if typ and typ in ("jsonb",):
                        continue
                    if typ and not ind.is_slice:
                        typ = self.types.elem(typ)
                else:
                    raise self.error("field selection is not supported; add a cast", node)
            return Typed(typ, True)
        if isinstance(node, ast.NamedArgExpr):
            return self.expr(node.arg, scope, expect, hint)
        if isinstance(node, ast.GroupingFunc):
            return Typed("int4", False)
        if isinstance(node, ast.RowExpr):
            for a in node.args or ():
                self.expr(a, scope)
            return Typed("record", False)
        if isinstance(node, ast.SetToDefault):
            return Typed(expect.type if expect else None, False)
        raise self.error(
            f"cannot infer the type of {type(node).__name__}; add a cast such as ::text", node
        )

    @property
    def source_for_types(self) -> SourceText:
        return self.query.source if self.query is not None else self.source

    def const(self, node: Any, expect: Typed | None) -> Typed:
        if node.isnull:
            return Typed(expect.type if expect else None, True)
        val = node.val
        if isinstance(val, ast.Integer):
            return Typed("int4", False)
        if isinstance(val, ast.Float):
            text = val.fval
            if "." not in text and "e" not in text.lower():
                return Typed("int8" if abs(int(text)) < 2**63 else "numeric", False)
            return Typed("numeric", False)
        if isinstance(val, ast.Boolean):
            return Typed("bool", False)
        if isinstance(val, ast.BitString):
            return Typed("bit", False)
        return Typed(expect.type if expect and expect.type else None, False)

    def _common(
        self, args: Sequence[Any], scope: Scope, expect: Typed | None, all_null: bool, node: Any
    ) -> Typed:
        typed = [self.expr(a, scope, None) for a in args]
        known = [t.type for t in typed if t.type]
        typ = self.types.common_type(known) if known else None
        if known and typ is None:
            raise self.error(f"types {', '.join(known)} cannot be matched; add a cast", node)
        if typ is None and expect is not None:
            typ = expect.type
        if typ is not None:
            typed = [
                self.expr(a, scope, Typed(typ, t.nullable)) if t.type is None else t
                for a, t in zip(args, typed, strict=True)
            ]
        nullable = all(t.nullable for t in typed) if all_null else any(t.nullable for t in typed)
        return Typed(typ, nullable)

    def case(self, node: Any, scope: Scope, expect: Typed | None) -> Typed:
        subject = self.expr(node.arg, scope) if node.arg is not None else None
        results = []
        for when in node.args:
            if subject is not None:
                self.expr(when.expr, scope, subject)
            else:
                self.expr(when.expr, scope, Typed("bool", False))
            results.append(when.result)
        if node.defresult is not None:
            results.append(node.defresult)
        out = self._common(results, scope, expect, all_null=False, node=node)
        return Typed(out.type, out.nullable or node.defresult is None)

    def sublink(self, node: Any, scope: Scope) -> Typed:
        kind = node.subLinkType
        cols = self.select(node.subselect, scope)
        if kind == SubLinkType.EXISTS_SUBLINK:
            return Typed("bool", False)
        if kind in (SubLinkType.ANY_SUBLINK, SubLinkType.ALL_SUBLINK):
            test = node.testexpr
            if isinstance(test, ast.RowExpr) and len(test.args or ()) == len(cols) > 1:
                # `(a, b) IN (SELECT x, y ...)`: each element against its column.
                items = [
                    self.expr(e, scope, Typed(c.type, False), hint=c.name)
                    for e, c in zip(test.args, cols, strict=True)
                ]
                nullable = any(i.nullable for i in items)
            else:
                expect = Typed(cols[0].type, False) if cols else None
                nullable = self.expr(test, scope, expect).nullable
            return Typed("bool", nullable or any(c.nullable for c in cols))
        if len(cols) != 1:
            raise self.error("subquery must return only one column", node)
        if kind == SubLinkType.ARRAY_SUBLINK:
            return Typed(self.types.array_of(cols[0].type), False)
        return Typed(cols[0].type, True)

    def a_expr(self, node: Any, scope: Scope, expect: Typed | None, hint: str | None) -> Typed:
        kind = node.kind
        op = node.name[-1].sval if node.name else ""
        if kind in (A_Expr_Kind.AEXPR_OP_ANY, A_Expr_Kind.AEXPR_OP_ALL):
            left = self.expr(node.lexpr, scope)
            arr = Typed(self.types.array_of(left.type), False) if left.type else None
            right = self.expr(node.rexpr, scope, arr, hint=self._name_of(node.lexpr))
            if left.type is None and right.type is not None:
                left = self.expr(node.lexpr, scope, Typed(self.types.elem(right.type), False))
            self._operator(
                op,
                left,
                Typed(self.types.elem(right.type) if right.type else None, right.nullable),
                node,
            )
            return Typed("bool", left.nullable or right.nullable)
        if kind == A_Expr_Kind.AEXPR_IN:
            left = self.expr(node.lexpr, scope)
            # Like `=`: a parameter compared with a nullable column is still NOT NULL.
            each = Typed(left.type, False) if left.type else None
            items = [self.expr(r, scope, each, hint=self._name_of(node.lexpr)) for r in node.rexpr]
            if left.type is None:
                typ = next((i.type for i in items if i.type), None)
                if typ is not None:
                    left = self.expr(node.lexpr, scope, Typed(typ, False))
            return Typed("bool", left.nullable or any(i.nullable for i in items))
        if kind in (
            A_Expr_Kind.AEXPR_BETWEEN,
            A_Expr_Kind.AEXPR_NOT_BETWEEN,
            A_Expr_Kind.AEXPR_BETWEEN_SYM,
            A_Expr_Kind.AEXPR_NOT_BETWEEN_SYM,
        ):
            left = self.expr(node.lexpr, scope)
            bound = Typed(left.type, False) if left.type else None
            bounds = [self.expr(r, scope, bound) for r in node.rexpr]
            return Typed("bool", left.nullable or any(b.nullable for b in bounds))
        if kind in (A_Expr_Kind.AEXPR_LIKE, A_Expr_Kind.AEXPR_ILIKE, A_Expr_Kind.AEXPR_SIMILAR):
            left = self.expr(node.lexpr, scope, Typed("text", False))
            right = self.expr(
                node.rexpr, scope, Typed("text", False), hint=self._name_of(node.lexpr)
            )
            return Typed("bool", left.nullable or right.nullable)
        if kind == A_Expr_Kind.AEXPR_NULLIF:
            left = self.expr(node.lexpr, scope)
            self.expr(node.rexpr, scope, left if left.type else None)
            return Typed(left.type, True)
        if kind in (A_Expr_Kind.AEXPR_DISTINCT, A_Expr_Kind.AEXPR_NOT_DISTINCT):
            left = self.expr(node.lexpr, scope)
            right = self.expr(node.rexpr, scope, Typed(left.type, True) if left.type else None)
            if left.type is None and right.type is not None:
                self.expr(node.lexpr, scope, Typed(right.type, True))
            return Typed("bool", False)
        if kind != A_Expr_Kind.AEXPR_OP:
            raise self.error(f"unsupported operator form {A_Expr_Kind(kind).name}", node)
        if node.lexpr is None:
            right = self.expr(node.rexpr, scope, expect)
            choice = self._pick(resolve_operator(self.types, op, None, right.type, True), op, node)
            return Typed(choice.ret, right.nullable)
        if (
            isinstance(node.lexpr, ast.RowExpr)
            and isinstance(node.rexpr, ast.RowExpr)
            and len(node.lexpr.args or ()) == len(node.rexpr.args or ())
        ):
            return self._row_compare(op, node.lexpr.args or (), node.rexpr.args or (), scope, node)
        return self._binary(op, node.lexpr, node.rexpr, scope, expect, node)

    def _binary(
        self, op: str, lnode: Any, rnode: Any, scope: Scope, expect: Typed | None, node: Any
    ) -> Typed:
        lhint = self._name_of(rnode)
        rhint = self._name_of(lnode)
        left = self.expr(lnode, scope, None, hint=lhint)
        right = self.expr(rnode, scope, None, hint=rhint)
        arith_expect = expect if op not in _COMPARISONS else None
        if left.type is None and right.type is not None:
            declared = self._unknown_operand(op, None, right.type, 0, node)
            left = self.expr(lnode, scope, Typed(declared, False), hint=lhint)
        elif right.type is None and left.type is not None:
            declared = self._unknown_operand(op, left.type, None, 1, node)
            right = self.expr(rnode, scope, Typed(declared, False), hint=rhint)
        elif left.type is None and right.type is None and arith_expect and arith_expect.type:
            left = self.expr(lnode, scope, arith_expect, hint=lhint)
            right = self.expr(rnode, scope, arith_expect, hint=rhint)
        result = self._operator(op, left, right, node)
        if left.type is None or right.type is None:
            # `@a || 'x'`, `'%' || @q || '%'`: resolution picked the types (text || text);
            # give them to the operands that had none.
            choice = self._pick(
                resolve_operator(self.types, op, left.type, right.type, False), op, node
            )
            for operand, typed, declared, hint in (
                (lnode, left, choice.arg_types[0], lhint),
                (rnode, right, choice.arg_types[1], rhint),
            ):
                if typed.type is None and self.types.known(declared):
                    self.expr(operand, scope, Typed(declared, False), hint=hint)
        return result

    def _unknown_operand(
        self, op: str, left: str | None, right: str | None, index: int, node: Any
    ) -> str:
        """The type an untyped operand (literal or parameter) takes, as PostgreSQL picks it.

        The operator is resolved with the operand unknown and the operand takes the declared
        type of the winner: `jsonb_col -> 'k'` makes 'k' text (there is no jsonb -> jsonb),
        `id = @id` makes @id the type of id. Several winners (`date + @n`: int4, interval,
        time?) is PostgreSQL's "operator is not unique"; none falls back to the other
        operand's type and lets `_operator` report what does not match.
        """
        known = left if left is not None else right
        assert known is not None
        choices = resolve_operator(self.types, op, left, right, False)
        declared = {c.arg_types[index] for c in choices if self.types.known(c.arg_types[index])}
        if len(declared) == 1:
            return declared.pop()
        if len(declared) > 1:
            shown = f"{left or 'unknown'} {op} {right or 'unknown'}"
            raise self.error(
                f"operator is not unique: {shown} (the unknown side could be "
                f"{', '.join(sorted(declared))}); add a cast",
                node,
            )
        return known

    def _row_compare(
        self, op: str, lefts: Sequence[Any], rights: Sequence[Any], scope: Scope, node: Any
    ) -> Typed:
        """`(a, b) < (@x, @y)` compares element by element, so each side types the other."""
        nullable = False
        for lnode, rnode in zip(lefts, rights, strict=True):
            nullable |= self._binary(op, lnode, rnode, scope, None, node).nullable
        return Typed("bool", nullable)

    def _operator(self, op: str, left: Typed, right: Typed, node: Any) -> Typed:
        choices = resolve_operator(self.types, op, left.type, right.type, False)
        choice = self._pick(choices, op, node, (left.type, right.type))
        nullable = left.nullable or right.nullable or op in _NULL_ON_VALUE_OPS
        return Typed(choice.ret, nullable)

    def _pick(
        self, choices: list[Choice], what: str, node: Any, args: tuple[str | None, ...] = ()
    ) -> Choice:
        if not choices:
            shown = ", ".join(a or "unknown" for a in args)
            raise self.error(
                f"no operator or function {what}({shown}) matches; add explicit casts", node
            )
        rets = {c.ret for c in choices}
        if len(rets) > 1:
            raise self.error(
                f"{what} is ambiguous here (could return {', '.join(sorted(rets))}); add a cast",
                node,
            )
        return choices[0]

    def _name_of(self, node: Any) -> str | None:
        if isinstance(node, ast.ColumnRef) and isinstance(node.fields[-1], ast.String):
            return str(node.fields[-1].sval)
        if isinstance(node, ast.TypeCast):
            return self._name_of(node.arg)
        return None

    def func(self, node: Any, scope: Scope, expect: Typed | None, allow_set: bool) -> Typed:
        names = [n.sval for n in node.funcname]
        if len(names) > 1 and names[0] != "pg_catalog":
            raise self.error(f"function {'.'.join(names)} is not known", node)
        name = names[-1].lower()
        if node.agg_filter is not None:
            self.expr(node.agg_filter, scope, Typed("bool", False))
        if node.over is not None:
            for p in node.over.partitionClause or ():
                self.expr(p, scope)
            for s in node.over.orderClause or ():
                self.expr(s.node, scope)
        for s in node.agg_order or ():
            self.expr(s.node, scope)
        if node.agg_star:
            if name != "count":
                raise self.error(f"{name}(*) is not a function", node)
            return Typed("int8", False)
        args = list(node.args or ())
        if any(isinstance(a, ast.NamedArgExpr) for a in args):
            return self._named_args_call(name, args, scope, node)
        if node.agg_within_group:
            # percentile_cont(0.5) WITHIN GROUP (ORDER BY x): x is an argument too.
            args += [s.node for s in node.agg_order or ()]
        typed = [self.expr(a, scope) for a in args]
        actual = tuple(t.type for t in typed)
        choices = resolve_function(self.types, name, actual)
        if not choices:
            if name not in self.types.b.functions:
                raise self.error(f"function {name}() does not exist", node)
            shown = ", ".join(t or "unknown" for t in actual)
            raise self.error(f"no overload of {name}({shown}) matches; add explicit casts", node)
        if len({c.ret for c in choices}) > 1 and None in actual and expect and expect.type:
            narrowed = [c for c in choices if c.ret == expect.type]
            choices = narrowed or choices
        choice = self._pick(choices, name, node, actual)
        if (
            choice.returns_set
            and not allow_set
            and name
            not in (
                "unnest",
                "generate_series",
                "jsonb_array_elements",
                "jsonb_array_elements_text",
                "json_array_elements",
                "jsonb_each",
                "jsonb_object_keys",
            )
        ):
            raise self.error(f"set-returning function {name}() belongs in FROM", node)
        for arg, t, declared in zip(args, typed, choice.arg_types, strict=True):
            if t.type is None and declared not in (
                "any",
                "anyelement",
                "anyarray",
                "anycompatible",
            ):
                self.expr(arg, scope, Typed(declared, False))
        nullable = self._func_nullable(name, choice, typed, node)
        return Typed(choice.ret, nullable)

    def _named_args_call(self, name: str, args: list[Any], scope: Scope, node: Any) -> Typed:
        """`make_interval(days => @n)`: the bundled catalog has no argument names, so the
        call is typed only when every overload returns the same type, and arguments passed
        by name are not typed from the function (a parameter there needs a cast)."""
        funcs = self.types.b.functions.get(name, ())
        if not funcs:
            raise self.error(f"function {name}() does not exist", node)
        rets = {f.ret for f in funcs}
        typed = [self.expr(a, scope) for a in args]
        ret = rets.pop() if len(rets) == 1 else None
        if ret is None or not self.types.known(ret) or any(f.returns_set for f in funcs):
            raise self.error(
                f"{name}() with arguments by name (=>) cannot be typed; pass them by position",
                node,
            )
        nullable = any(t.nullable for t in typed) or not all(f.strict for f in funcs)
        return Typed(ret, nullable)

    def _func_nullable(self, name: str, choice: Choice, args: list[Typed], node: Any) -> bool:
        if choice.kind == "a":
            if node.over is not None:
                return name != "count"
            return name not in ("count",)
        if choice.kind == "w":
            return name not in _WINDOW_NOT_NULL
        if name in _NEVER_NULL:
            return False
        if name in _NULL_ON_VALUE:
            return True
        if choice.strict:
            return any(a.nullable for a in args)
        return True


_SVF_TYPES = {
    "SVFOP_CURRENT_DATE": "date",
    "SVFOP_CURRENT_TIME": "timetz",
    "SVFOP_CURRENT_TIME_N": "timetz",
    "SVFOP_CURRENT_TIMESTAMP": "timestamptz",
    "SVFOP_CURRENT_TIMESTAMP_N": "timestamptz",
    "SVFOP_LOCALTIME": "time",
    "SVFOP_LOCALTIME_N": "time",
    "SVFOP_LOCALTIMESTAMP": "timestamp",
    "SVFOP_LOCALTIMESTAMP_N": "timestamp",
    "SVFOP_CURRENT_ROLE": "name",
    "SVFOP_CURRENT_USER": "name",
    "SVFOP_USER": "name",
    "SVFOP_SESSION_USER": "name",
    "SVFOP_CURRENT_CATALOG": "name",
    "SVFOP_CURRENT_SCHEMA": "name",
}


# -- entry points ---------------------------------------------------------------------


def view_columns(catalog: cat.Catalog, query: Any, source: SourceText) -> tuple[cat.Column, ...]:
    """Columns of `CREATE VIEW ... AS query`, for the catalog stage."""
    analyzer = Analyzer(catalog, None, source)
    cols = analyzer.statement(query, Scope())
    return tuple(cat.Column(c.name, c.type, not c.nullable) for c in cols)


def _dedupe(cols: list[Col]) -> list[Col]:
    seen: dict[str, int] = {}
    out = []
    for i, c in enumerate(cols):
        name = c.name if c.name != "?column?" else f"column_{i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 1
        out.append(replace(c, name=name))
    return out


_ROWS = ("one", "many", "batchmany", "batchone")


def analyze(query: Query, catalog: cat.Catalog) -> Analysis:
    analyzer = Analyzer(catalog, query, query.source)
    stmt = query.stmt
    cols = analyzer.statement(stmt, Scope())
    if query.command in _ROWS and not cols:
        raise CodegenError(
            f"{query.name}: :{query.command} needs a statement that returns rows "
            "(SELECT, or INSERT/UPDATE/DELETE ... RETURNING); use :exec, :execrows or "
            ":execresult",
            query.source,
            query.name_offset,
        )
    params = []
    for p in query.params:
        typed = analyzer.param_types.get(p.number)
        if typed is None or typed.type is None:
            loc = p.offset
            raise CodegenError(
                f"{query.name}: cannot infer the type of parameter "
                f"{'$' + str(p.number) if p.positional else p.name}; add a cast such as "
                f"{'$' + str(p.number) if p.positional else '@' + p.name}::text",
                query.source,
                query.file_offset(analyzer.param_locs[p.number])
                if p.positional and p.number in analyzer.param_locs
                else loc,
            )
        name = p.name
        if p.positional and p.number in analyzer.param_hints:
            name = analyzer.param_hints[p.number]
        typ = typed.type
        nullable = typed.nullable if p.nullable is None else p.nullable
        if p.is_slice:
            if not catalog.types.is_array(typ):
                typ = catalog.types.array_of(typ)
            nullable = False
        params.append(ParamInfo(p.number, name, typ, nullable, p.is_slice))
    params = _unique_param_names(params)
    cols = _dedupe(cols)
    model = analyzer._whole_table(cols) if not any(c.embed for c in cols) else None
    kind = type(stmt).__name__.removesuffix("Stmt").lower()
    table = stmt.relation.relname if hasattr(stmt, "relation") and stmt.relation else None
    copy_columns: tuple[str, ...] = ()
    if query.command == "copyfrom":
        copy_columns = _copy_columns(query, stmt)
    return Analysis(
        query, tuple(params), tuple(cols), model, kind, table, copy_columns, _always_one_row(stmt)
    )


def _is_grouping_set(node: Any) -> bool:
    return isinstance(node, ast.GroupingSet) and node.kind != GroupingSetKind.GROUPING_SET_EMPTY


def _expanded_targets(targets: Sequence[Any], cols: list[Col]) -> list[Any]:
    """The target behind each output column; None where a `*` expanded to several."""
    if len(targets) == len(cols):
        return list(targets)
    return [None] * len(cols)


def _is_aggregate_target(target: Any) -> bool:
    if target is None:
        return False
    val = target.val
    return isinstance(val, ast.FuncCall) and val.over is None and _is_aggregate(val)


def _always_one_row(stmt: Any) -> bool:
    """Statements that return exactly one row or fail: `SELECT count(*) FROM ...`
    (aggregates without GROUP BY) and `INSERT ... VALUES (one row) RETURNING ...`
    without ON CONFLICT (a conflict would be an error, not a missing row)."""
    if isinstance(stmt, ast.InsertStmt):
        values = stmt.selectStmt
        return (
            stmt.onConflictClause is None
            and stmt.withClause is None
            and isinstance(values, ast.SelectStmt)
            and values.valuesLists is not None
            and len(values.valuesLists) == 1
        )
    if not isinstance(stmt, ast.SelectStmt) or stmt.op or stmt.valuesLists:
        return False
    if stmt.groupClause or stmt.havingClause or stmt.limitCount or stmt.limitOffset:
        return False
    if stmt.windowClause or not stmt.targetList:
        return False
    for target in stmt.targetList:
        val = target.val
        if not (isinstance(val, ast.FuncCall) and val.over is None and _is_aggregate(val)):
            return False
    return True


def _is_aggregate(call: Any) -> bool:
    name = call.funcname[-1].sval.lower()
    funcs = builtins().functions.get(name, ())
    return bool(call.agg_star) or any(f.kind == "a" for f in funcs)


def _unique_param_names(params: list[ParamInfo]) -> list[ParamInfo]:
    seen: dict[str, int] = {}
    out = []
    for p in params:
        name = p.name
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 1
        out.append(replace(p, name=name))
    return out


def _copy_columns(query: Query, stmt: Any) -> tuple[str, ...]:
    """:copyfrom takes `INSERT INTO t (cols) VALUES (params)`: one parameter a column."""
    bad = query.error(
        ":copyfrom needs INSERT INTO table (columns) VALUES (@a, @b, ...) with one "
        "parameter per column"
    )
    if not isinstance(stmt, ast.InsertStmt) or not stmt.cols:
        raise bad
    select = stmt.selectStmt
    if (
        not isinstance(select, ast.SelectStmt)
        or not select.valuesLists
        or len(select.valuesLists) != 1
    ):
        raise bad
    if stmt.onConflictClause is not None or stmt.returningClause is not None:
        raise bad
    cols = []
    for rt, value in zip(stmt.cols, select.valuesLists[0], strict=False):
        while isinstance(value, ast.TypeCast):
            value = value.arg
        if not isinstance(value, ast.ParamRef):
            raise bad
        cols.append((value.number, rt.name))
    if sorted(n for n, _ in cols) != list(range(1, len(query.params) + 1)):
        raise bad
    return tuple(name for _, name in sorted(cols))


def iter_params(analysis: Analysis) -> Iterator[ParamInfo]:
    yield from analysis.params
