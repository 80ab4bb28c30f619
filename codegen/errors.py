"""One error type for every bad input, so the CLI can report it without a traceback."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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


class CodegenError(Exception):
    """Bad input: reported as `file:line:col: error: reason`, the line, and a caret."""

    def __init__(self, message: str, source: SourceText | None = None, offset: int = 0) -> None:
        message = one_line(message)
        super().__init__(message)
        self.message = message
        self.source = source
        self.offset = offset

    @property
    def location(self) -> tuple[str, int, int] | None:
        if self.source is None:
            return None
        line, col = self.source.position(self.offset)
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
