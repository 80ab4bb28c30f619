"""Which tables (and columns) a query reads and writes, and which row locks it takes.

A DBA reviewing a query wants this before anything else, and it is all in the parse
tree: this walks pglast's tree once with a scope per SELECT level, so a CTE name or a
subquery alias is never mistaken for a table, a data-modifying CTE writes, `INSERT ...
SELECT`, `UPDATE ... FROM` and subqueries read. Columns are resolved against the catalog
(the migrations), `*` expands to the table's columns.

Locks are the explicit `FOR UPDATE`/`FOR NO KEY UPDATE`/`FOR SHARE`/`FOR KEY SHARE` clauses,
plus the ones PostgreSQL takes implicitly, marked as such: UPDATE locks its rows `FOR NO
KEY UPDATE` (`FOR UPDATE` when it changes a key column), DELETE `FOR UPDATE`, and writing
a foreign key column locks the referenced row `FOR KEY SHARE` (the foreign key check).
Rows deleted or updated by `ON DELETE CASCADE`/`SET NULL` are listed as writes too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pglast import ast as _ast
from pglast import enums

from codegen.catalog import Catalog

ast: Any = _ast

_STRENGTH = {
    enums.LockClauseStrength.LCS_FORKEYSHARE: "FOR KEY SHARE",
    enums.LockClauseStrength.LCS_FORSHARE: "FOR SHARE",
    enums.LockClauseStrength.LCS_FORNOKEYUPDATE: "FOR NO KEY UPDATE",
    enums.LockClauseStrength.LCS_FORUPDATE: "FOR UPDATE",
}
_WAIT = {
    enums.LockWaitPolicy.LockWaitSkip: "SKIP LOCKED",
    enums.LockWaitPolicy.LockWaitError: "NOWAIT",
}
_ON_DELETE = {"c": "cascade-delete", "n": "set-null", "d": "set-default"}


@dataclass(frozen=True)
class Read:
    table: str
    columns: tuple[str, ...]  # in the table's column order


@dataclass(frozen=True)
class Write:
    table: str
    kind: str  # insert / update / delete / cascade-delete / set-null / set-default
    columns: tuple[str, ...]  # written columns; () for a delete


@dataclass(frozen=True)
class Lock:
    mode: str  # FOR UPDATE / FOR NO KEY UPDATE / FOR SHARE / FOR KEY SHARE, or pg_advisory_*
    tables: tuple[str, ...]
    wait: str = ""  # NOWAIT / SKIP LOCKED
    implicit: bool = False  # taken by PostgreSQL itself (DML, foreign key checks)


@dataclass(frozen=True)
class Relations:
    reads: tuple[Read, ...]
    writes: tuple[Write, ...]
    locks: tuple[Lock, ...]

    def as_json(self) -> dict[str, object]:
        return {
            "reads": [{"table": r.table, "columns": list(r.columns)} for r in self.reads],
            "writes": [
                {"table": w.table, "kind": w.kind, "columns": list(w.columns)} for w in self.writes
            ],
            "locks": [
                {
                    "mode": lk.mode,
                    "tables": list(lk.tables),
                    "wait": lk.wait,
                    "implicit": lk.implicit,
                }
                for lk in self.locks
            ],
        }

    @property
    def tables(self) -> tuple[str, ...]:
        """Every table the query touches, sorted."""
        return tuple(sorted({r.table for r in self.reads} | {w.table for w in self.writes}))


@dataclass
class _Entry:
    alias: str
    table: str | None  # None: a CTE, subquery, function or EXCLUDED


@dataclass
class _Scope:
    entries: list[_Entry] = field(default_factory=list)
    parent: _Scope | None = None


def children(node: Any) -> Iterator[Any]:
    """The AST nodes directly below `node` (lists flattened)."""
    if isinstance(node, (list, tuple)):
        for item in node:
            yield from children(item) if isinstance(item, (list, tuple)) else (item,)
        return
    for name in getattr(type(node), "__slots__", ()):
        value = getattr(node, name, None)
        if isinstance(value, _ast.Node):
            yield value
        elif isinstance(value, (list, tuple)):
            yield from children(value)


class _Walker:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.reads: dict[str, set[str]] = {}
        self.writes: dict[tuple[str, str], set[str]] = {}
        self.locks: list[Lock] = []

    # -- recording -------------------------------------------------------------
    def _columns(self, table: str) -> list[str]:
        t = self.catalog.tables.get(table)
        return [c.name for c in t.columns] if t else []

    def read(self, table: str, columns: list[str] | tuple[str, ...] = ()) -> None:
        self.reads.setdefault(table, set()).update(columns)

    def write(self, table: str, kind: str, columns: list[str] | tuple[str, ...]) -> None:
        self.writes.setdefault((table, kind), set()).update(columns)

    # -- statements ------------------------------------------------------------
    def stmt(self, node: Any, parent: _Scope | None, ctes: frozenset[str]) -> None:
        ctes = self._with(getattr(node, "withClause", None), parent, ctes)
        if isinstance(node, ast.SelectStmt):
            self._select(node, parent, ctes)
        elif isinstance(node, ast.InsertStmt):
            self._insert(node, parent, ctes)
        elif isinstance(node, ast.UpdateStmt):
            self._update(node, parent, ctes)
        elif isinstance(node, ast.DeleteStmt):
            self._delete(node, parent, ctes)
        elif isinstance(node, ast.MergeStmt):
            self._merge(node, parent, ctes)
        else:
            self.expr(node, _Scope(parent=parent), ctes)

    def _with(self, clause: Any, parent: _Scope | None, ctes: frozenset[str]) -> frozenset[str]:
        if clause is None:
            return ctes
        names = ctes | {c.ctename for c in clause.ctes or ()}
        for cte in clause.ctes or ():
            self.stmt(cte.ctequery, parent, names)
        return names

    def _select(self, node: Any, parent: _Scope | None, ctes: frozenset[str]) -> None:
        if node.larg is not None:  # UNION / INTERSECT / EXCEPT
            self.stmt(node.larg, parent, ctes)
            self.stmt(node.rarg, parent, ctes)
            return
        scope = _Scope(parent=parent)
        for item in node.fromClause or ():
            self._from_item(item, scope, ctes)
        for part in (
            node.targetList,
            node.whereClause,
            node.groupClause,
            node.havingClause,
            node.windowClause,
            node.sortClause,
            node.limitCount,
            node.limitOffset,
            node.valuesLists,
            node.distinctClause,
        ):
            if part is not None:
                self.expr(part, scope, ctes)
        for clause in node.lockingClause or ():
            self._lock(clause, scope)

    def _lock(self, clause: Any, scope: _Scope) -> None:
        names = [rv.relname for rv in clause.lockedRels or ()]
        entries = [e for e in scope.entries if not names or e.alias in names]
        tables = tuple(dict.fromkeys(e.table for e in entries if e.table))
        self.locks.append(
            Lock(_STRENGTH[clause.strength], tables, _WAIT.get(clause.waitPolicy, ""))
        )

    def _key(self, rv: Any) -> str:
        """The catalog key of a relation (`app.items`, `items` in public), found through
        the search_path as PostgreSQL would; as written when the catalog lacks it."""
        table = self.catalog.relation(rv.schemaname, rv.relname)
        if table is not None:
            return table.name
        return f"{rv.schemaname}.{rv.relname}" if rv.schemaname else str(rv.relname)

    def _target(self, relation: Any, parent: _Scope | None) -> tuple[str, _Scope]:
        table = self._key(relation)
        alias = relation.alias.aliasname if relation.alias else relation.relname
        return table, _Scope([_Entry(alias, table)], parent)

    def _insert(self, node: Any, parent: _Scope | None, ctes: frozenset[str]) -> None:
        table, scope = self._target(node.relation, parent)
        cols = [c.name for c in node.cols or ()] or self._columns(table)
        self.write(table, "insert", cols)
        self._fk_locks(table, cols)
        if node.selectStmt is not None:
            self.stmt(node.selectStmt, parent, ctes)
        conflict = node.onConflictClause
        if conflict is not None and conflict.targetList:
            scope.entries.append(_Entry("excluded", None))
            self._set(table, conflict.targetList, scope, ctes)
            if conflict.whereClause is not None:
                self.expr(conflict.whereClause, scope, ctes)
        self._returning(node, table, parent, ctes)

    def _update(self, node: Any, parent: _Scope | None, ctes: frozenset[str]) -> None:
        table, scope = self._target(node.relation, parent)
        for item in node.fromClause or ():
            self._from_item(item, scope, ctes)
        self._set(table, node.targetList, scope, ctes)
        if node.whereClause is not None:
            self.expr(node.whereClause, scope, ctes)
        self._returning(node, table, parent, ctes)

    def _set(self, table: str, targets: Any, scope: _Scope, ctes: frozenset[str]) -> None:
        cols = [t.name for t in targets]
        self.write(table, "update", cols)
        keys = {c for key in self._keys(table) for c in key}
        mode = "FOR UPDATE" if keys & set(cols) else "FOR NO KEY UPDATE"
        self.locks.append(Lock(mode, (table,), implicit=True))
        self._fk_locks(table, cols)
        self._cascade(table, "update", cols, set())
        for t in targets:
            self.expr(t.val, scope, ctes)

    def _delete(self, node: Any, parent: _Scope | None, ctes: frozenset[str]) -> None:
        table, scope = self._target(node.relation, parent)
        for item in node.usingClause or ():
            self._from_item(item, scope, ctes)
        self.write(table, "delete", ())
        self.locks.append(Lock("FOR UPDATE", (table,), implicit=True))
        self._cascade(table, "delete", [], set())
        if node.whereClause is not None:
            self.expr(node.whereClause, scope, ctes)
        self._returning(node, table, parent, ctes)

    def _merge(self, node: Any, parent: _Scope | None, ctes: frozenset[str]) -> None:
        """MERGE: the source is read; each WHEN clause writes the target as the INSERT,
        UPDATE or DELETE it stands for (with their implicit locks)."""
        table, scope = self._target(node.relation, parent)
        self._from_item(node.sourceRelation, scope, ctes)
        self.expr(node.joinCondition, scope, ctes)
        for when in node.mergeWhenClauses or ():
            if when.condition is not None:
                self.expr(when.condition, scope, ctes)
            if when.commandType == enums.CmdType.CMD_UPDATE:
                self._set(table, when.targetList, scope, ctes)
            elif when.commandType == enums.CmdType.CMD_INSERT:
                cols = [c.name for c in when.targetList or ()] or self._columns(table)
                self.write(table, "insert", cols)
                self._fk_locks(table, cols)
                self.expr(when.values or (), scope, ctes)
            elif when.commandType == enums.CmdType.CMD_DELETE:
                self.write(table, "delete", ())
                self.locks.append(Lock("FOR UPDATE", (table,), implicit=True))
                self._cascade(table, "delete", [], set())

    def _returning(
        self, node: Any, table: str, parent: _Scope | None, ctes: frozenset[str]
    ) -> None:
        """RETURNING gives back the rows written: subqueries in it read, the row does not."""
        clause = node.returningClause
        if clause is not None and clause.exprs:
            alias = node.relation.alias.aliasname if node.relation.alias else node.relation.relname
            self.expr(clause.exprs, _Scope([_Entry(alias, None)], parent), ctes)

    # -- keys, foreign keys, cascades ----------------------------------------------
    def _keys(self, table: str) -> list[tuple[str, ...]]:
        t = self.catalog.tables.get(table)
        if t is None:
            return []
        keys = [t.primary_key, *t.unique] if t.primary_key else list(t.unique)
        keys += [
            tuple(c for c in i.columns if c)
            for i in self.catalog.indexes
            if i.table == table and i.unique and not i.partial and None not in i.columns
        ]
        return keys

    def _fk_locks(self, table: str, cols: list[str]) -> None:
        t = self.catalog.tables.get(table)
        for fk in t.foreign_keys if t else ():
            if set(fk.columns) & set(cols):
                self.read(fk.ref_table, fk.ref_columns)
                self.locks.append(Lock("FOR KEY SHARE", (fk.ref_table,), implicit=True))

    def _cascade(self, table: str, action: str, cols: list[str], seen: set[str]) -> None:
        """Rows of child tables that ON DELETE actions delete or update (deletes only;
        updating a referenced key is NO ACTION unless declared, which the catalog omits)."""
        if action != "delete" or table in seen:
            return
        seen.add(table)
        for child in sorted(self.catalog.tables.values(), key=lambda t: t.name):
            for fk in child.foreign_keys:
                kind = _ON_DELETE.get(fk.on_delete)
                if fk.ref_table != table or kind is None:
                    continue
                self.write(child.name, kind, () if kind == "cascade-delete" else fk.columns)
                self.read(child.name, fk.columns)
                mode = "FOR UPDATE" if kind == "cascade-delete" else "FOR NO KEY UPDATE"
                self.locks.append(Lock(mode, (child.name,), implicit=True))
                self._cascade(child.name, "delete" if kind == "cascade-delete" else "", [], seen)

    # -- FROM items and expressions ------------------------------------------------
    def _from_item(self, item: Any, scope: _Scope, ctes: frozenset[str]) -> None:
        if isinstance(item, ast.RangeVar):
            alias = item.alias.aliasname if item.alias else item.relname
            is_cte = item.schemaname is None and item.relname in ctes
            table = None if is_cte else self._key(item)
            scope.entries.append(_Entry(alias, table))
            if table is not None:
                self.read(table)
        elif isinstance(item, ast.JoinExpr):
            self._from_item(item.larg, scope, ctes)
            self._from_item(item.rarg, scope, ctes)
            if item.quals is not None:
                self.expr(item.quals, scope, ctes)
        elif isinstance(item, ast.RangeSubselect):
            self.stmt(item.subquery, scope, ctes)
            scope.entries.append(_Entry(item.alias.aliasname if item.alias else "", None))
        else:  # RangeFunction and the like: their arguments may hold subqueries
            self.expr(item, scope, ctes)
            alias = getattr(item, "alias", None)
            scope.entries.append(_Entry(alias.aliasname if alias else "", None))

    def expr(self, node: Any, scope: _Scope, ctes: frozenset[str]) -> None:
        if isinstance(node, ast.ColumnRef):
            self._column(node, scope)
            return
        if isinstance(node, ast.SubLink):
            if node.testexpr is not None:
                self.expr(node.testexpr, scope, ctes)
            self.stmt(node.subselect, scope, ctes)
            return
        if isinstance(node, ast.FuncCall) and "advisory" in node.funcname[-1].sval:
            self.locks.append(Lock(node.funcname[-1].sval, (), implicit=False))
        if isinstance(node, (ast.SelectStmt, ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt)):
            self.stmt(node, scope, ctes)
            return
        for child in children(node):
            self.expr(child, scope, ctes)

    def _column(self, ref: Any, scope: _Scope) -> None:
        fields = list(ref.fields)
        star = isinstance(fields[-1], ast.A_Star)
        names = [f.sval for f in fields if isinstance(f, ast.String)]
        if star:
            qualifier = names[-1] if names else None
        else:
            qualifier = names[-2] if len(names) >= 2 else None
        if star and qualifier is None:
            for e in scope.entries:
                if e.table:
                    self.read(e.table, self._columns(e.table))
            return
        level: _Scope | None = scope
        while level is not None:
            for e in level.entries:
                if qualifier is not None and e.alias != qualifier:
                    continue
                if star and e.table:
                    self.read(e.table, self._columns(e.table))
                    return
                if e.table and names[-1] in self._columns(e.table):
                    self.read(e.table, [names[-1]])
                    return
                if qualifier is not None:
                    return
            level = level.parent

    def result(self) -> Relations:
        reads = tuple(
            Read(t, tuple(c for c in self._columns(t) if c in cols))
            for t, cols in sorted(self.reads.items())
        )
        writes = tuple(
            Write(t, kind, tuple(c for c in self._columns(t) if c in cols))
            for (t, kind), cols in sorted(self.writes.items())
        )
        locks = tuple(dict.fromkeys(self.locks))
        return Relations(reads, writes, locks)


def relations(stmt: Any, catalog: Catalog) -> Relations:
    """What the statement (a pglast node: `parse.Query.stmt`) reads, writes and locks."""
    walker = _Walker(catalog)
    walker.stmt(stmt, None, frozenset())
    return walker.result()


def describe_keys(stmt: Any, catalog: Catalog) -> dict[str, object]:
    """The keys `describe` adds to each query: reads, writes, locks."""
    return relations(stmt, catalog).as_json()
