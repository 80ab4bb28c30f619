"""What the analyzer hands to the next stages: result columns, parameters, the analysis.

These frozen dataclasses are the analyze stage's whole interface; render, verify, vet and
the CLI read them and never the parse tree.
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
