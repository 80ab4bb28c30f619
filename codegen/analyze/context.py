"""The state of analysing one statement, and the small helpers every analyze module shares.

The analyzer is plain functions over a `Context` (the catalog, the query being analysed and
what has been learnt about its parameters so far) rather than one large class: expressions
hold subqueries and FROM items hold expressions, so the modules call each other and the
state travels as an argument.

pglast declares every node field Optional; `present` (`parse.nodes`) narrows the fields
the parser always fills for a node's shape, so `mypy --strict` checks the rest.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from pglast import ast

from codegen import catalog as cat
from codegen.analyze.model import Binding, Col, Level, Lock, Source, Write
from codegen.errors import CodegenError, SourceText, SqlState, Unsupported
from codegen.parse import Query
from codegen.parse.nodes import present as present
from codegen.parse.nodes import sval as sval
from codegen.parse.nodes import svals as svals
from codegen.pgtypes import TypeSpace


@dataclass(frozen=True)
class Typed:
    """An expression's type and nullability; type None: not known yet (an untyped literal,
    NULL or a parameter not placed anywhere that says its type)."""

    type: str | None
    nullable: bool


BOOL = Typed("bool", False)


@dataclass
class Recorder:
    """What the statement uses, collected while it is analysed (`uses.freeze` makes it a
    `model.Uses`): reads by table, writes and locks in order, levels by statement node."""

    reads: dict[str, set[str]] = field(default_factory=dict)
    effects: list[Write | Lock] = field(default_factory=list)
    levels: dict[int, Level] = field(default_factory=dict)
    bindings: dict[int, Binding] = field(default_factory=dict)


@dataclass
class Context:
    """One statement's analysis. Parameters are typed by their first placement that says a
    type, so the state is the parameters seen so far (and where, for error positions)."""

    catalog: cat.Catalog
    query: Query | None  # None for a view's query while the catalog is being built
    source: SourceText
    types: TypeSpace = field(init=False)
    param_types: dict[int, Typed] = field(default_factory=dict)
    param_hints: dict[int, str] = field(default_factory=dict)  # `$n` names from context
    param_locs: dict[int, int] = field(default_factory=dict)
    param_typed_at: dict[int, int] = field(default_factory=dict)  # the use that typed it
    # `*` / `t.*` at a location in query.sql -> its explicit column list (`stars`)
    star_edits: dict[int, tuple[str, ...] | None] = field(default_factory=dict)
    # the relations, columns and types the statement uses: a view's dependencies
    # (`catalog.depends`), as `("relation", key)`, `("column", key, name)`, `("type", key)`
    used: set[tuple[str, ...]] = field(default_factory=set)
    uses: Recorder = field(default_factory=Recorder)  # tables, locks, equalities (`uses`)
    # the functions and operators called that are not IMMUTABLE (`generation`)
    mutable: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.types = self.catalog.types

    def error(
        self,
        message: str,
        node: ast.Node | None = None,
        location: int | None = None,
        *,
        sqlstate: str | None = None,
    ) -> CodegenError:
        loc = location if location is not None else location_of(node)
        if self.query is not None:
            return self.query.error(message, loc, sqlstate=sqlstate)
        return CodegenError(message, self.source, loc, sqlstate=sqlstate)

    def no_column(self, message: str, node: ast.Node | None) -> CodegenError:
        """A column that does not exist (PostgreSQL's undefined_column)."""
        return self.error(message, node, sqlstate=SqlState.UNDEFINED_COLUMN)

    def unsupported(self, message: str, node: ast.Node | None = None) -> Unsupported:
        """An error for what PostgreSQL takes but the generator does not model."""
        err = self.error(message, node)
        return Unsupported(err.message, err.source, err.offset)

    @property
    def type_source(self) -> SourceText:
        """The file a type name in a cast is reported against."""
        return self.query.source if self.query is not None else self.source

    @property
    def embeds(self) -> set[str]:
        """Aliases written as `sqlc.embed(alias)` in the query."""
        return {e.name for e in self.query.embeds} if self.query else set()


@dataclass
class Entry:
    """A FROM item as seen by expressions: its name, columns and the table behind it."""

    alias: str
    cols: list[Col]
    table: str | None = None
    # A table's own rows (not a view, subquery or CTE): its system columns (ctid, xmin,
    # xmax, ...) can be named; "outer" when an outer join may leave the row missing.
    rows: str = ""
    outer: bool = False  # on the side of an outer join that may find no row
    source: Source | None = None  # the table or view named (not a subquery, CTE, function)
    row_type: str = ""  # the type of its whole row, when not a record (f() RETURNS address)


@dataclass(frozen=True)
class StarCol:
    """A column `*` expands to, and the FROM alias that can qualify it; None for a column
    merged by JOIN ... USING, which only its bare name refers to."""

    col: Col
    qual: str | None


@dataclass
class Scope:
    entries: list[Entry] = field(default_factory=list)
    star: list[StarCol] = field(default_factory=list)
    parent: Scope | None = None
    ctes: dict[str, tuple[list[Col], str | None]] = field(default_factory=dict)
    # output aliases usable in ORDER BY / GROUP BY
    outputs: dict[str, Typed] = field(default_factory=dict)
    grouped: bool = False  # a plain GROUP BY: aggregates here see at least one row
    # Where a set-returning function may stand besides FROM: "" in the select list, GROUP
    # BY, ORDER BY, DISTINCT ON and a window's PARTITION BY / ORDER BY, as PostgreSQL has
    # it (check_srf_call_placement); else where it is not allowed, for the error.
    sets_banned: str = "here"
    sets_seen: int = 0  # set-returning functions called there so far

    def cte(self, name: str) -> tuple[list[Col], str | None] | None:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.ctes:
                return scope.ctes[name]
            scope = scope.parent
        return None

    def child(self) -> Scope:
        return Scope(parent=self)

    def levels(self) -> list[Scope]:
        """This scope and the ones enclosing it, innermost first."""
        out: list[Scope] = []
        scope: Scope | None = self
        while scope is not None:
            out.append(scope)
            scope = scope.parent
        return out


@contextmanager
def set_functions(scope: Scope, banned: str = "") -> Iterator[None]:
    """Set-returning functions allowed in `scope` meanwhile (`banned` "": allowed; else
    where they are not, "in CASE")."""
    saved, scope.sets_banned = scope.sets_banned, banned
    try:
        yield
    finally:
        scope.sets_banned = saved


def location_of(node: ast.Node | None) -> int | None:
    loc = getattr(node, "location", None)
    return loc if isinstance(loc, int) and loc >= 0 else None


def subquery(node: ast.Node | None) -> ast.SelectStmt:
    """A subquery (in FROM, in an expression): always a SELECT, as PostgreSQL's grammar has it."""
    if not isinstance(node, ast.SelectStmt):
        raise TypeError(f"expected a subquery, got {type(node).__name__}")
    return node
