"""What depends on what, and what PostgreSQL does to a dependent: one table of rules.

An object is a tuple: `("relation", key)`, `("column", key, name)`, `("type", key)`,
`("index", name)`, `("foreign key", table key, constraint name)` or `("function", key,
*argument types)`. A view or materialized view records, when it is created, the objects
its query uses (the analyzer reports the relations and columns it resolved and the types
of its casts and of its columns); renames rewrite those records (`renamed`), so a
dependency follows its object as PostgreSQL's (by OID) does.

`RULES` says, for each kind of object that goes or changes, where its dependents are and
what becomes of them, as PostgreSQL's pg_depend has it: "cascade" (the statement is
refused unless it says CASCADE, which drops them too), "auto" (dropped with it: an index
with its column) or "refuse" (no statement form allows it: a column a view reads cannot
change type). `drop` and `change_column_type` are the only entry points; the statements'
handlers call them rather than testing dependencies themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from codegen.errors import CodegenError, SourceText, SqlState
from codegen.pgtypes import array_key

if TYPE_CHECKING:
    from codegen.catalog.builder import Builder

Obj = tuple[str, ...]


@dataclass(frozen=True)
class Dependent:
    """A view's (or materialized view's) kind and the objects its query uses."""

    kind: str  # "view" or "materialized view"
    uses: frozenset[Obj]


def _views_using(b: Builder, obj: Obj) -> list[Obj]:
    wanted = {obj, ("type", array_key(obj[1]))} if obj[0] == "type" else {obj}
    return [("relation", v) for v, d in b.dependents.items() if d.uses & wanted]


def _foreign_keys_to(b: Builder, obj: Obj) -> list[Obj]:
    """Foreign keys of other tables that reference the table (or this column of it)."""
    return [
        ("foreign key", t.name, f.name)
        for t in b.tables.values()
        for f in t.foreign_keys
        if t.name != obj[1] and f.ref_table == obj[1] and (len(obj) == 2 or obj[2] in f.ref_columns)
    ]


def _indexes_on(b: Builder, obj: Obj) -> list[Obj]:
    """The table's indexes; for a column, those whose keys, expressions or predicate use it."""
    return [
        ("index", i.name)
        for i in b.indexes
        if i.table == obj[1] and (len(obj) == 2 or obj[2] in (*i.columns, *i.uses))
    ]


def _columns_of_type(b: Builder, obj: Obj) -> list[Obj]:
    """Tables' columns of the type, or declared with the domain (a view's columns are the
    view's own dependencies)."""
    gone = type_and_arrays(b, obj[1])
    tables = [t for t in b.tables.values() if t.name not in b.dependents]
    return [
        ("column", t.name, c.name)
        for t in tables
        for c in t.columns
        if (c.type in gone and obj[1] not in b.domains) or c.domain == obj[1]
    ]


def _types_over(b: Builder, obj: Obj) -> list[Obj]:
    """Domains over the type, ranges of it, composite types with a field of it."""
    gone = type_and_arrays(b, obj[1])
    over = [d for d, base in b.domains.items() if base in gone and d != obj[1]]
    over += [t for t, parts in b.type_parts.items() if gone & set(parts)]
    return [("type", t) for t in over]


def _constructors_of(b: Builder, obj: Obj) -> list[Obj]:
    """The functions PostgreSQL made with the type (a range's constructors)."""
    return list(b.constructors.get(obj[1], ()))


def _functions_using(b: Builder, obj: Obj) -> list[Obj]:
    """Functions taking or returning the type."""
    gone = type_and_arrays(b, obj[1])
    return [
        ("function", key, *f.args)
        for key, overloads in b.functions.items()
        for f in overloads
        if gone & {f.ret, *f.args}
    ]


def _partitions_of(b: Builder, obj: Obj) -> list[Obj]:
    return [("relation", t.name) for t in b.tables.values() if t.partition_of == obj[1]]


@dataclass(frozen=True)
class Rule:
    target: str  # the kind of object that goes ("column type": whose type changes)
    dependent: str  # the kind of object that depends on it
    dependents: Callable[[Builder, Obj], list[Obj]]
    action: str  # "cascade", "auto" or "refuse" (see the module's docstring)


RULES: tuple[Rule, ...] = (
    Rule("relation", "view", _views_using, "cascade"),
    Rule("relation", "foreign key", _foreign_keys_to, "cascade"),
    Rule("relation", "index", _indexes_on, "auto"),
    Rule("relation", "partition", _partitions_of, "auto"),
    Rule("column", "view", _views_using, "cascade"),
    Rule("column", "foreign key", _foreign_keys_to, "cascade"),
    Rule("column", "index", _indexes_on, "auto"),
    Rule("type", "column", _columns_of_type, "cascade"),
    Rule("type", "view", _views_using, "cascade"),
    Rule("type", "type", _types_over, "cascade"),
    Rule("type", "constructor", _constructors_of, "auto"),  # before the functions using it
    Rule("type", "function", _functions_using, "cascade"),
    Rule("function", "view", _views_using, "cascade"),
    Rule("column type", "view", _views_using, "refuse"),
)


def type_and_arrays(b: Builder, name: str) -> set[str]:
    """A type, its array and its multiranges (and theirs): what goes when it goes."""
    multis = [m for m, r in b.multiranges.items() if r == name]
    return {n for t in (name, *multis) for n in (t, array_key(t))}


def describe(b: Builder, obj: Obj) -> str:
    """An object as PostgreSQL's messages name it: `view v`, `column a of table t`."""
    kind = obj[0]
    if kind == "relation":
        dep = b.dependents.get(obj[1])
        return f"{dep.kind if dep else 'table'} {obj[1]}"
    if kind == "column" and obj[1] in b.composites:
        return f"column {obj[2]} of composite type {obj[1]}"
    if kind == "column":
        return f"column {obj[2]} of {describe(b, ('relation', obj[1]))}"
    if kind == "foreign key":
        return f"constraint {obj[2]} on table {obj[1]}"
    if kind == "function":
        return f"function {obj[1]}({', '.join(obj[2:])})"
    return f"{kind} {obj[1]}"


def drop(
    b: Builder,
    obj: Obj,
    cascade: bool,
    source: SourceText,
    together: frozenset[Obj] = frozenset(),
) -> None:
    """Remove `obj` and what depends on it, or refuse as PostgreSQL does without CASCADE;
    `together`: the other objects the same statement drops (`DROP VIEW v, w`)."""
    for rule in RULES:
        if rule.target != obj[0]:
            continue
        for dep in rule.dependents(b, obj):
            if rule.action != "auto" and not cascade and dep not in together:
                raise CodegenError(
                    f"cannot drop {describe(b, obj)} because other objects depend on it: "
                    f"{describe(b, dep)} depends on {describe(b, obj)} "
                    "(use DROP ... CASCADE to drop the dependent objects too)",
                    source,
                    sqlstate=SqlState.DEPENDENT_OBJECTS_STILL_EXIST,
                )
            drop(b, dep, cascade, source, together)
    _REMOVE[obj[0]](b, obj)


def change_column_type(b: Builder, obj: Obj, source: SourceText) -> None:
    """ALTER COLUMN ... TYPE: refused while a view reads the column."""
    for rule in RULES:
        for dep in rule.dependents(b, obj) if rule.target == "column type" else ():
            raise CodegenError(
                "cannot alter type of a column used by a view or rule: rule _RETURN on "
                f'{describe(b, dep)} depends on column "{obj[2]}"',
                source,
                sqlstate=SqlState.FEATURE_NOT_SUPPORTED,
            )


def _remove_relation(b: Builder, obj: Obj) -> None:
    b.tables.pop(obj[1], None)
    b.dependents.pop(obj[1], None)


def _remove_column(b: Builder, obj: Obj) -> None:
    """The column, and the table's own keys, foreign keys and checks that use it."""
    table, name = b.tables.get(obj[1]), obj[2]
    if table is None:
        return
    b.tables[table.name] = replace(
        table,
        columns=tuple(c for c in table.columns if c.name != name),
        primary_key=() if name in table.primary_key else table.primary_key,
        unique=tuple(u for u in table.unique if name not in u),
        foreign_keys=tuple(f for f in table.foreign_keys if name not in f.columns),
        checks=tuple(k for k in table.checks if name not in k.columns),
    )


def _remove_type(b: Builder, obj: Obj) -> None:
    for m in [m for m, r in b.multiranges.items() if r == obj[1]]:
        del b.multiranges[m]
    b.ranges.pop(obj[1], None)
    b.enums.pop(obj[1], None)
    b.domains.pop(obj[1], None)
    b.composites.pop(obj[1], None)
    b.constructors.pop(obj[1], None)
    b.type_parts.pop(obj[1], None)


def _remove_function(b: Builder, obj: Obj) -> None:
    """One overload: `obj` is ("function", key, *its argument types)."""
    kept = [f for f in b.functions.get(obj[1], ()) if f.args != obj[2:]]
    if kept:
        b.functions[obj[1]] = kept
    else:
        b.functions.pop(obj[1], None)


def _remove_index(b: Builder, obj: Obj) -> None:
    b.indexes = [i for i in b.indexes if i.name != obj[1]]


def _remove_foreign_key(b: Builder, obj: Obj) -> None:
    table = b.tables[obj[1]]
    fks = tuple(f for f in table.foreign_keys if f.name != obj[2])
    b.tables[table.name] = replace(table, foreign_keys=fks)


_REMOVE: dict[str, Callable[[Builder, Obj], None]] = {
    "relation": _remove_relation,
    "column": _remove_column,
    "type": _remove_type,
    "index": _remove_index,
    "foreign key": _remove_foreign_key,
    "function": _remove_function,
}


def renamed(b: Builder, old: Obj, new: Obj) -> None:
    """A relation, column or type renamed (or moved): the views that use it follow."""

    def follow(o: Obj) -> Obj:
        if o[: len(old)] == old:
            return new + o[len(old) :]
        if old[0] == "type" and o == ("type", array_key(old[1])):
            return ("type", array_key(new[1]))
        if old[0] == "relation" and o[0] == "column" and o[1] == old[1]:
            return ("column", new[1], *o[2:])
        return o

    b.dependents = {
        (new[1] if old[0] == "relation" and v == old[1] else v): replace(
            d, uses=frozenset(follow(o) for o in d.uses)
        )
        for v, d in b.dependents.items()
    }
