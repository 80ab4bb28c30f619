"""What parsing produces: a named query, its parameters and embeds, with SQL names only.

Python names (function, parameter and field names, keyword escaping) are render's business
(`codegen.render.naming`); a `Param.name` is the name written in the SQL (`@from` is "from").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from codegen.commands import Command
from codegen.errors import CodegenError, SourceText

Spans = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Param:
    """One parameter as written: `@name`, `sqlc.arg/narg/slice(name)` or `$n`."""

    number: int
    name: str
    nullable: bool | None  # True for sqlc.narg; None means "infer from where it is used"
    is_slice: bool
    positional: bool
    offset: int  # first occurrence, as an offset into the file


@dataclass(frozen=True)
class Embed:
    """`sqlc.embed(t)`: the columns of `t` come back nested as t's model."""

    name: str
    offset: int


def file_offset(spans: Spans, sql_offset: int) -> int:
    """Map an offset in rewritten SQL back to the file: spans are (sql offset, file offset)
    at the start of each kept or replaced piece, in order."""
    best = spans[0]
    for span in spans:
        if span[0] > sql_offset:
            break
        best = span
    return best[1] + (sql_offset - best[0])


@dataclass(frozen=True)
class Query:
    """A named statement ready for analysis; `sql` is what the server will run."""

    name: str
    command: Command
    source: SourceText
    name_offset: int
    doc: tuple[str, ...]
    vet_ignore: frozenset[str]
    sql: str
    params: tuple[Param, ...]
    embeds: tuple[Embed, ...]
    # (offset in sql, offset in file) at the start of each kept or replaced span
    spans: Spans
    stmt: Any = field(compare=False, repr=False)

    def file_offset(self, sql_offset: int) -> int:
        return file_offset(self.spans, sql_offset)

    def error(
        self, message: str, sql_offset: int | None = None, *, sqlstate: str | None = None
    ) -> CodegenError:
        offset = self.name_offset if sql_offset is None else self.file_offset(sql_offset)
        return CodegenError(f"{self.name}: {message}", self.source, offset, sqlstate=sqlstate)

    @property
    def line(self) -> int:
        return self.source.position(self.name_offset)[0]
