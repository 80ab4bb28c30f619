"""What a query uses, recorded while names are resolved: the tables and columns it reads
and writes, its locks, each query level's equalities and the column each parameter meets.

As sqlc's query catalog and sqlglot's `optimizer/scope.py` serve every consumer, the
resolution is done once, here, with the analyzer's own scopes (CTEs shadow tables only
where PostgreSQL says, `USING` merges columns, schemas and the search_path name tables),
and the DBA tools, `vet` and `explain` read `model.Uses` instead of the parse tree.

The rules recorded:

- A table named in FROM is read (with no column when only its rows count); a column is
  read where a reference resolves to a table's entry, `*` and `t.*` read all of them. The
  target of INSERT/UPDATE/DELETE is read only through the columns its conditions use, and
  RETURNING reads nothing of the rows written (a subquery in it reads as usual).
- Writes: INSERT's columns (all without a list), UPDATE's SET columns, DELETE; MERGE's
  WHEN clauses as the command each stands for.
- Locks: each row-locking clause with the tables of its level it names (all without OF),
  and calls of PostgreSQL's advisory lock functions (not the unlock ones).
- Levels: for each SELECT and UPDATE/DELETE body, its tables and the equalities among the
  AND-ed conditions of WHERE, JOIN ... ON and JOIN ... USING / NATURAL.
- Bindings: the first table column each parameter is compared with or stored in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from pglast import ast
from pglast.enums import A_Expr_Kind, BoolExprType, LockClauseStrength, LockWaitPolicy

from codegen.analyze import scope as sc
from codegen.analyze.context import Context, Entry, Scope, present, svals
from codegen.analyze.model import Binding, Level, Lock, Operand, Read, Source, Uses, Write

# PostgreSQL's advisory lock functions (pg_advisory_unlock* release, they lock nothing)
ADVISORY_LOCKS = frozenset(
    f"pg_{try_}advisory_{xact}lock{shared}"
    for try_ in ("", "try_")
    for xact in ("", "xact_")
    for shared in ("", "_shared")
)
_STRENGTH = {
    LockClauseStrength.LCS_FORKEYSHARE: "FOR KEY SHARE",
    LockClauseStrength.LCS_FORSHARE: "FOR SHARE",
    LockClauseStrength.LCS_FORNOKEYUPDATE: "FOR NO KEY UPDATE",
    LockClauseStrength.LCS_FORUPDATE: "FOR UPDATE",
}
_WAIT = {LockWaitPolicy.LockWaitSkip: "SKIP LOCKED", LockWaitPolicy.LockWaitError: "NOWAIT"}
_FLIP = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}  # `$1 < c` is `c > $1`
# `a = b` forms that hold a to one value, or to a set of values fixed before the row is read
_EQUALS = {
    A_Expr_Kind.AEXPR_OP,
    A_Expr_Kind.AEXPR_OP_ANY,
    A_Expr_Kind.AEXPR_OP_ALL,
    A_Expr_Kind.AEXPR_IN,
    A_Expr_Kind.AEXPR_NOT_DISTINCT,
}
VALUE = Operand()


# -- reads, writes, locks ---------------------------------------------------------------


def table_read(ctx: Context, source: Source) -> None:
    ctx.uses.reads.setdefault(source.table, set())


def column_read(ctx: Context, e: Entry | None, origin: tuple[str, str] | None) -> None:
    """A reference resolved to a column of entry `e`: read, if `e` names a table."""
    if e is not None and e.source is not None and origin and origin[0] == e.source.table:
        ctx.uses.reads.setdefault(origin[0], set()).add(origin[1])


def star_read(ctx: Context, entries: Iterable[Entry]) -> None:
    """`*`, `t.*` or a whole row `t`: every column of the tables among `entries`."""
    for e in entries:
        if e.source is not None:
            t = ctx.catalog.tables.get(e.source.table)
            names = [c.name for c in t.columns] if t else [c.origin[1] for c in e.cols if c.origin]
            ctx.uses.reads.setdefault(e.source.table, set()).update(names)


def unread(scope: Scope) -> Scope:
    """The scope of a RETURNING list: the rows written are given back, not read."""
    return replace(scope, entries=[replace(e, source=None) for e in scope.entries])


def write(
    ctx: Context, table: str, kind: str, columns: Sequence[str], location: int | None = None
) -> None:
    ctx.uses.effects.append(Write(table, kind, tuple(columns), location))


def row_locks(ctx: Context, stmt: ast.SelectStmt, scope: Scope) -> None:
    """`FOR UPDATE [OF t] [SKIP LOCKED]`: the level's tables it names, all without OF."""
    for clause in stmt.lockingClause or ():
        names = {rv.relname for rv in clause.lockedRels or ()}
        tables = [
            e.source.table
            for e in scope.entries
            if e.source is not None and (not names or e.alias in names)
        ]
        strength = _STRENGTH[LockClauseStrength(clause.strength)]
        wait = _WAIT.get(LockWaitPolicy(clause.waitPolicy), "")
        ctx.uses.effects.append(Lock(strength, tuple(dict.fromkeys(tables)), wait))


def call(ctx: Context, node: ast.FuncCall) -> None:
    """A call of `pg_advisory_xact_lock(...)` and its kin (in pg_catalog) takes a lock."""
    names = svals(node.funcname)
    if names[-1] in ADVISORY_LOCKS and names[:-1] in ([], ["pg_catalog"]):
        ctx.uses.effects.append(Lock(names[-1]))


# -- parameters ---------------------------------------------------------------------------


def _param(node: Any) -> int | None:
    """The parameter a value is: `$1`, `$1::t`, `COALESCE($1, default)`."""
    while isinstance(node, (ast.TypeCast, ast.CoalesceExpr)):
        node = present(node.args)[0] if isinstance(node, ast.CoalesceExpr) else node.arg
    return node.number if isinstance(node, ast.ParamRef) else None


def _bind(ctx: Context, number: int | None, column: tuple[str, str] | None, op: str) -> None:
    if number is not None and column is not None and number not in ctx.uses.bindings:
        ctx.uses.bindings[number] = Binding(number, column[0], column[1], op)


def stored(ctx: Context, value: ast.Node, table: str, column: str, op: str) -> None:
    """A value written to `table.column` (op "insert" or "set")."""
    _bind(ctx, _param(value), (table, column), op)


def comparison(ctx: Context, node: ast.A_Expr, scope: Scope) -> None:
    """`c op $1`, `$1 op c`, `(a, b) < ($1, $2)`, `c = ANY($1)`: the parameter meets c."""
    if not node.name or node.lexpr is None or not isinstance(node.rexpr, ast.Node):
        return
    op = svals(node.name[-1:])[0]
    lefts, rights = [node.lexpr], [node.rexpr]
    if isinstance(node.lexpr, ast.RowExpr) and isinstance(node.rexpr, ast.RowExpr):
        lefts, rights = list(node.lexpr.args or ()), list(node.rexpr.args or ())
    for lhs, rhs in zip(lefts, rights, strict=False):
        if isinstance(lhs, ast.ColumnRef):
            _bind(ctx, _param(rhs), _origin(ctx, lhs, scope), op)
        elif isinstance(rhs, ast.ColumnRef):
            _bind(ctx, _param(lhs), _origin(ctx, rhs, scope), _FLIP.get(op, op))


def _origin(ctx: Context, ref: ast.ColumnRef, scope: Scope) -> tuple[str, str] | None:
    if not ref.fields or not isinstance(ref.fields[-1], ast.String):
        return None
    col = sc.resolve_column(ctx, ref, scope)
    return col.origin if col is not None else None


# -- levels and their equalities ----------------------------------------------------------


def level(ctx: Context, key: ast.Node, scope: Scope, where: Any, items: Sequence[Any]) -> None:
    """Records the level `key` (a statement node) once its FROM entries are in `scope`."""
    equalities: list[tuple[Operand, Operand]] = []
    for condition in [*_conjuncts(where), *(c for i in items for c in _join_conditions(i))]:
        pair = _equality(condition, scope)
        if pair is not None:
            equalities.append(pair)
    for item in items:
        for pair in _using(item, scope):  # both sides' columns are read by the join
            equalities.append(pair)
            for side in pair:
                if side.table is not None and side.column is not None:
                    ctx.uses.reads.setdefault(side.table, set()).add(side.column)
    sources = tuple(e.source for e in scope.entries if e.source is not None)
    ctx.uses.levels[id(key)] = Level(sources, tuple(equalities))


def _conjuncts(node: Any) -> list[Any]:
    if isinstance(node, ast.BoolExpr) and node.boolop == BoolExprType.AND_EXPR:
        return [c for arg in node.args or () for c in _conjuncts(arg)]
    return [node] if node is not None else []


def _join_conditions(item: Any) -> list[Any]:
    """The AND-ed ON conditions of a FROM item's joins (not inside subqueries)."""
    if not isinstance(item, ast.JoinExpr):
        return []
    inner = _join_conditions(item.larg) + _join_conditions(item.rarg)
    return inner + _conjuncts(item.quals)


def _equality(node: Any, scope: Scope) -> tuple[Operand, Operand] | None:
    if not isinstance(node, ast.A_Expr) or node.kind not in _EQUALS or not node.name:
        return None
    if svals(node.name[-1:]) != ["="]:
        return None
    left = _operand(node.lexpr, scope)
    right = (
        _operand(node.rexpr, scope)
        if not isinstance(node.rexpr, tuple)
        else None
        if any(_mentions_column(v) for v in node.rexpr)
        else VALUE
    )
    return (left, right) if left is not None and right is not None else None


def _operand(node: Any, scope: Scope) -> Operand | None:
    """A column of this level, a parameter, a value (VALUE), or None: an expression of
    this level's columns, or a subquery."""
    while isinstance(node, ast.TypeCast):
        node = node.arg
    if isinstance(node, ast.ParamRef):
        return Operand(param=node.number)
    if isinstance(node, ast.ColumnRef) and node.fields and isinstance(node.fields[-1], ast.String):
        names = svals(node.fields)
        owner = _owner(scope, names)
        if owner is None:
            return VALUE  # a column of an enclosing query: fixed for this level
        table = owner.source.table if owner.source is not None else None
        return Operand(owner.alias, names[-1], table)
    return None if _mentions_column(node) else VALUE


def _owner(scope: Scope, names: list[str]) -> Entry | None:
    """The entry of this level a column reference names (the left one of a column merged
    by USING, whose sides are equal)."""
    if len(names) > 1:
        return next((e for e in scope.entries if e.alias == names[-2]), None)
    return next((e for e in scope.entries if any(c.name == names[-1] for c in e.cols)), None)


def _mentions_column(node: Any) -> bool:
    if isinstance(node, (ast.ColumnRef, ast.SubLink, ast.SelectStmt)):
        return True
    if isinstance(node, (list, tuple)):
        return any(_mentions_column(n) for n in node)
    if isinstance(node, ast.Node):
        slots = getattr(type(node), "__slots__", ())
        return any(_mentions_column(getattr(node, s)) for s in slots)
    return False


def _using(item: Any, scope: Scope) -> list[tuple[Operand, Operand]]:
    """`a JOIN b USING (c)` and NATURAL joins: `a.c = b.c` (nested joins too)."""
    if not isinstance(item, ast.JoinExpr):
        return []
    out = _using(item.larg, scope) + _using(item.rarg, scope)
    left = [e for e in scope.entries if e.alias in _aliases(item.larg)]
    right = [e for e in scope.entries if e.alias in _aliases(item.rarg)]
    names = svals(item.usingClause)
    if item.isNatural:
        theirs = {c.name for e in right for c in e.cols}
        names = list(dict.fromkeys(c.name for e in left for c in e.cols if c.name in theirs))
    for name in names:
        sides = [_having(es, name) for es in (left, right)]
        if sides[0] is not None and sides[1] is not None:
            out.append((sides[0], sides[1]))
    return out


def _having(entries: list[Entry], name: str) -> Operand | None:
    """Column `name` of the first of `entries` that has it."""
    for e in entries:
        if any(c.name == name for c in e.cols):
            return Operand(e.alias, name, e.source.table if e.source else None)
    return None


def _aliases(item: Any) -> set[str]:
    """The names a FROM item's entries go by."""
    if isinstance(item, ast.JoinExpr) and item.alias is None:
        return _aliases(item.larg) | _aliases(item.rarg)
    if isinstance(item, ast.RangeTableSample):
        return _aliases(item.relation)
    alias = getattr(item, "alias", None)
    if alias is not None:
        return {alias.aliasname}
    return {present(item.relname)} if isinstance(item, ast.RangeVar) else set()


# -- the result ---------------------------------------------------------------------------


def clauses(stmt: ast.Node) -> frozenset[str]:
    """The clauses of the statement itself that `vet` asks about."""
    found = {"where"} if getattr(stmt, "whereClause", None) is not None else set()
    if isinstance(stmt, ast.SelectStmt):
        found |= {"limit"} if stmt.limitCount is not None else set()
        found |= {"order by"} if stmt.sortClause else set()
    return frozenset(found)


def freeze(ctx: Context, stmt: ast.Node) -> Uses:
    recorded = ctx.uses

    def ordered(table: str, columns: set[str]) -> tuple[str, ...]:
        t = ctx.catalog.tables.get(table)
        known = [c.name for c in t.columns if c.name in columns] if t else []
        return tuple(known + sorted(columns - set(known)))

    return Uses(
        reads=tuple(Read(t, ordered(t, cols)) for t, cols in sorted(recorded.reads.items())),
        effects=tuple(recorded.effects),
        levels=tuple(recorded.levels.values()),
        bindings=tuple(b for _, b in sorted(recorded.bindings.items())),
        clauses=clauses(stmt),
    )
