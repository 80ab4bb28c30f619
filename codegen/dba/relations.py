"""Which tables (and columns) a query reads and writes, and which row locks it takes.

A DBA reviewing a query wants this before anything else. The analyzer resolved every name
(`Analysis.uses`: a CTE name or a subquery alias is never mistaken for a table, a
data-modifying CTE writes, `INSERT ... SELECT`, `UPDATE ... FROM` and subqueries read,
`*` is the table's columns); this adds what PostgreSQL does on its own.

Locks are the explicit `FOR UPDATE`/`FOR NO KEY UPDATE`/`FOR SHARE`/`FOR KEY SHARE` clauses,
plus the ones PostgreSQL takes implicitly, marked as such: UPDATE locks its rows `FOR NO
KEY UPDATE` (`FOR UPDATE` when it changes a key column), DELETE `FOR UPDATE`, and writing
a foreign key column locks the referenced row `FOR KEY SHARE` (the foreign key check).
Rows deleted or updated by `ON DELETE CASCADE`/`SET NULL` are listed as writes too.
"""

from __future__ import annotations

from dataclasses import dataclass

from codegen.analyze import Analysis
from codegen.analyze import model as uses
from codegen.catalog import Catalog

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


class _Effects:
    """The statement's reads, writes and locks, with PostgreSQL's implicit ones added."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.reads: dict[str, set[str]] = {}
        self.writes: dict[tuple[str, str], set[str]] = {}
        self.locks: list[Lock] = []

    def _columns(self, table: str) -> list[str]:
        t = self.catalog.tables.get(table)
        return [c.name for c in t.columns] if t else []

    def read(self, table: str, columns: list[str] | tuple[str, ...] = ()) -> None:
        self.reads.setdefault(table, set()).update(columns)

    def write(self, table: str, kind: str, columns: list[str] | tuple[str, ...]) -> None:
        self.writes.setdefault((table, kind), set()).update(columns)

    def effect(self, effect: uses.Write | uses.Lock) -> None:
        """One write or lock of the statement, and what PostgreSQL does with it: UPDATE
        locks its rows, DELETE too and cascades, writing a foreign key checks the parent."""
        if isinstance(effect, uses.Lock):
            self.locks.append(Lock(effect.mode, effect.tables, effect.wait))
            return
        table, columns = effect.table, list(effect.columns)
        self.write(table, effect.kind, columns)
        if effect.kind == "update":
            keys = {c for key in self._keys(table) for c in key}
            mode = "FOR UPDATE" if keys & set(columns) else "FOR NO KEY UPDATE"
            self.locks.append(Lock(mode, (table,), implicit=True))
        if effect.kind == "delete":
            self.locks.append(Lock("FOR UPDATE", (table,), implicit=True))
            self._cascade(table, set())
        else:
            self._fk_locks(table, columns)

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

    def _cascade(self, table: str, seen: set[str]) -> None:
        """Rows of child tables that ON DELETE actions delete or update (deletes only;
        updating a referenced key is NO ACTION unless declared, which the catalog omits)."""
        if table in seen:
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
                if kind == "cascade-delete":
                    self._cascade(child.name, seen)

    def result(self) -> Relations:
        def ordered(table: str, cols: set[str]) -> tuple[str, ...]:
            known = self._columns(table)
            return tuple(c for c in known if c in cols) + tuple(sorted(cols - set(known)))

        reads = tuple(Read(t, ordered(t, cols)) for t, cols in sorted(self.reads.items()))
        writes = tuple(
            Write(t, kind, ordered(t, cols)) for (t, kind), cols in sorted(self.writes.items())
        )
        return Relations(reads, writes, tuple(dict.fromkeys(self.locks)))


def relations(analysis: Analysis, catalog: Catalog) -> Relations:
    """What the query reads, writes and locks, PostgreSQL's implicit locks and cascades too."""
    effects = _Effects(catalog)
    for read in analysis.uses.reads:
        effects.read(read.table, read.columns)
    for effect in analysis.uses.effects:
        effects.effect(effect)
    return effects.result()


def describe_keys(analysis: Analysis, catalog: Catalog) -> dict[str, object]:
    """The keys `describe` adds to each query: reads, writes, locks."""
    return relations(analysis, catalog).as_json()
