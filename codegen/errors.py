"""One error type for every bad input, so the CLI can report it without a traceback."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Self


@dataclass(frozen=True)
class SourceText:
    """A file's text with the means to turn an offset into line, column and the line itself."""

    path: str
    text: str

    def position(self, offset: int) -> tuple[int, int]:
        offset = max(0, min(offset, len(self.text)))
        line = self.text.count("\n", 0, offset) + 1
        col = offset - (self.text.rfind("\n", 0, offset) + 1) + 1
        return line, col

    def line_text(self, line: int) -> str:
        lines = self.text.splitlines()
        return lines[line - 1] if 0 < line <= len(lines) else ""


def shown(path: Path | str, root: Path | None = None) -> str:
    """A path as messages name it: relative to the project `root` (default: the working
    folder) when inside it, else as given."""
    given = Path(path)
    base = (root or Path.cwd()).resolve()
    try:
        return given.resolve().relative_to(base).as_posix() or "."
    except ValueError:
        return str(path)


def parse_error_offset(exc: Exception, end: int) -> int:
    """Where a pglast ParseError points: its position, or `end` when it has none, as for
    "syntax error at end of input"."""
    position = exc.args[1] if len(exc.args) > 1 else None
    return position if isinstance(position, int) else end


def one_line(message: str) -> str:
    """The first line of a message, so `file:line:col: error: ...` stays one line.

    PostgreSQL's scanner quotes the rest of the input after "at or near" for an
    unterminated string or comment: the whole remainder of the file.
    """
    first, _, rest = message.partition("\n")
    if not rest.strip():
        return first
    return first + (' ..."' if first.count('"') % 2 else " ...")


class SqlState(StrEnum):
    """Kinds of error the generator reports as PostgreSQL would, each its SQLSTATE (as
    sqlc's `sqlerr`): code tells errors apart by kind, never by their text."""

    SYNTAX_ERROR = "42601"
    UNDEFINED_COLUMN = "42703"
    AMBIGUOUS_COLUMN = "42702"
    UNDEFINED_TABLE = "42P01"
    UNDEFINED_OBJECT = "42704"  # a type, constraint, index, ...
    UNDEFINED_FUNCTION = "42883"
    INVALID_SCHEMA_NAME = "3F000"
    DUPLICATE_COLUMN = "42701"
    DUPLICATE_TABLE = "42P07"
    DUPLICATE_SCHEMA = "42P06"
    DUPLICATE_OBJECT = "42710"
    DUPLICATE_FUNCTION = "42723"
    DEPENDENT_OBJECTS_STILL_EXIST = "2BP01"
    INVALID_OBJECT_DEFINITION = "42P17"  # e.g. a generation expression not immutable
    FEATURE_NOT_SUPPORTED = "0A000"


# The object to create exists already: what `IF NOT EXISTS` and a DO block's
# `EXCEPTION WHEN duplicate_object` guard against.
DUPLICATE = frozenset(s for s in SqlState if s.name.startswith("DUPLICATE_"))


class CodegenError(Exception):
    """Bad input: reported as `file:line:col: error: reason`, the line, and a caret.

    Frozen: its message, source, offset and kind are read-only (`at` places a copy).
    `offset` None: the spot is not known (yet); `sqlstate`: PostgreSQL's code for the same
    failure, when the generator knows one (`SqlState`) or the server said it."""

    def __init__(
        self,
        message: str,
        source: SourceText | None = None,
        offset: int | None = None,
        *,
        sqlstate: str | None = None,
    ) -> None:
        message = one_line(message)
        super().__init__(message)
        self._message = message
        self._source = source
        self._offset = offset if offset is None or offset >= 0 else None  # pglast's -1
        self._sqlstate = sqlstate

    @property
    def message(self) -> str:
        return self._message

    @property
    def source(self) -> SourceText | None:
        return self._source

    @property
    def offset(self) -> int | None:
        return self._offset

    @property
    def sqlstate(self) -> str | None:
        return self._sqlstate

    def at(self, source: SourceText, offset: int | None) -> Self:
        """The same error (kind, message) placed at `offset` of `source`."""
        return type(self)(self.message, source, offset, sqlstate=self.sqlstate)

    @property
    def location(self) -> tuple[str, int, int] | None:
        """(path, line, column); the file's first line when the spot is not known."""
        if self.source is None:
            return None
        line, col = self.source.position(self.offset or 0)
        return self.source.path, line, col

    def render(self) -> str:
        if self.source is None:
            return f"error: {self.message}"
        path, line, col = self.location or ("", 0, 0)
        text = self.source.line_text(line).replace("\t", " ")
        caret = " " * (col - 1) + "^"
        return f"{path}:{line}:{col}: error: {self.message}\n    {text}\n    {caret}"


class Unsupported(CodegenError):
    """Input PostgreSQL takes that the generator does not model (a whole row as a column,
    XMLTABLE, ...): in a query it is an error like any other; in a view's definition it
    leaves the view untyped, so only the queries that read the view fail."""


class CodegenErrors(Exception):
    """Several independent errors found in one run: report them all, not just the first."""

    def __init__(self, errors: list[CodegenError]) -> None:
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors

    def render(self) -> str:
        return "\n".join(e.render() for e in self.errors)
