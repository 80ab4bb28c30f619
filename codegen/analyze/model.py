"""What the analyzer hands to the next stages: result columns, parameters, the analysis,
and what the query uses (`Uses`): the tables and columns it reads and writes, its locks,
each query level's equalities and the column each parameter meets.

These frozen dataclasses are the analyze stage's whole interface; render, verify, vet,
the DBA tools and the CLI read them and never the parse tree.
"""

from __future__ import annotations

from dataclasses import dataclass

from codegen.parse import Query


@dataclass(frozen=True)
class Col:
    """A result column; `origin` is (table, column) when it is a table's column as is."""

    name: str  # PostgreSQL's name, as the server reports it: `?column?`, repeats and all
    type: str
    nullable: bool
    origin: tuple[str, str] | None = None
    embed: str | None = None
    # sqlc.embed of an outer-joined table: the nested model is None when the join found
    # no row (every column NULL)
    embed_optional: bool = False
    # Of an optional embed: this column is NOT NULL in its table, so it is NULL exactly
    # when the join found no row (the first such column of the embed; none in a view).
    embed_key: bool = False
    # An untyped literal or NULL: text unless a set operation's other side says otherwise.
    untyped: bool = False


@dataclass(frozen=True)
class ParamInfo:
    number: int
    name: str  # its SQL name (`@id`), or the column `$n` was first compared with: may repeat
    type: str
    nullable: bool
    is_slice: bool


@dataclass(frozen=True)
class Read:
    """A table or view the query reads, and the columns it reads (in the table's order;
    none when only its rows count, `SELECT count(*) FROM t`)."""

    table: str  # the catalog's key: `items`, `app.items`
    columns: tuple[str, ...]


@dataclass(frozen=True)
class Write:
    """What the statement itself writes (INSERT, UPDATE SET, DELETE, and MERGE's actions)."""

    table: str
    kind: str  # insert / update / delete
    columns: tuple[str, ...]  # the columns given (INSERT) or set (UPDATE); () for a delete
    location: int | None = None  # where the table is named in `Query.sql`


@dataclass(frozen=True)
class Lock:
    """A lock the query asks for: a row-locking clause of a SELECT level with the tables it
    locks, or a call of an advisory lock function (mode: its name, no table)."""

    mode: str  # FOR UPDATE / FOR NO KEY UPDATE / FOR SHARE / FOR KEY SHARE, or pg_advisory_*
    tables: tuple[str, ...] = ()
    wait: str = ""  # NOWAIT / SKIP LOCKED


@dataclass(frozen=True)
class Source:
    """A table or view a query level names: a FROM item, or the target of UPDATE/DELETE."""

    alias: str
    table: str
    location: int | None = None  # in `Query.sql`


@dataclass(frozen=True)
class Operand:
    """One side of an equality: a column of the level (`alias.column`; `table` None for a
    subquery's, CTE's or function's column), a parameter, or another value fixed before the
    level reads a row (a constant, an expression of them, an enclosing query's column)."""

    alias: str | None = None
    column: str | None = None
    table: str | None = None
    param: int | None = None


@dataclass(frozen=True)
class Level:
    """One query level (a SELECT, or the body of UPDATE/DELETE), its sources and the
    equalities among the AND-ed conditions of its WHERE and joins (`ON a = b`, `USING (c)`).
    A right side fixed as a set (`= ANY($1)`, `IN (...)`) counts as a value."""

    sources: tuple[Source, ...]
    equalities: tuple[tuple[Operand, Operand], ...]


@dataclass(frozen=True)
class Binding:
    """The table column a parameter is first compared with (`op` as if the column stood
    left: `$1 < c` is `c > $1`) or stored in (`op` "insert" or "set")."""

    param: int
    table: str
    column: str
    op: str


@dataclass(frozen=True)
class Uses:
    """What a query uses, as the analyzer resolved it (CTEs, aliases, USING, schemas and
    the search_path all taken into account)."""

    reads: tuple[Read, ...] = ()  # sorted by table
    # writes and locks in the order the statement's clauses take them
    effects: tuple[Write | Lock, ...] = ()
    levels: tuple[Level, ...] = ()
    bindings: tuple[Binding, ...] = ()  # one per parameter that meets a column
    # clauses of the statement itself (not of a subquery): "where", "limit", "order by"
    clauses: frozenset[str] = frozenset()

    @property
    def writes(self) -> tuple[Write, ...]:
        return tuple(e for e in self.effects if isinstance(e, Write))


@dataclass(frozen=True)
class Analysis:
    """Everything the renderer needs to know about one query."""

    query: Query
    # The SQL to send: query.sql with every `*`, `t.*` (and sqlc.embed) written out as its
    # columns, so rows never depend on the live table's column order.
    sql: str
    params: tuple[ParamInfo, ...]
    columns: tuple[Col, ...]
    model: str | None  # table whose model the rows are, when they are exactly its columns
    statement: str  # select / insert / update / delete
    table: str | None  # the table written to, for DML
    copy_columns: tuple[str, ...] = ()  # :copyfrom column list, in parameter order
    always_one_row: bool = False  # an aggregate without GROUP BY: exactly one row, always
    base_model: str | None = None  # table whose columns the row starts with (and extends)
    uses: Uses = Uses()  # tables, columns, locks, equalities, parameters' columns
