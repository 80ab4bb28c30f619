"""Pre-formatted output: calls laid out as ruff would, SQL and docstrings as literals.

Generated code is committed and checked by ruff, so it is written already formatted for
the project's line length (`codegen.render.style`, set around a render with `width`);
the templates call `call`, `fits` and `body` (registered as Jinja globals) for that.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

from codegen.style import DEFAULT_LINE_LENGTH

_LINE: ContextVar[int] = ContextVar("line_length", default=DEFAULT_LINE_LENGTH)
_BODY = "    "  # a function body's indentation


@contextlib.contextmanager
def width(line_length: int) -> Iterator[None]:
    """Lay out everything rendered inside for `line_length` columns."""
    token = _LINE.set(line_length)
    try:
        yield
    finally:
        _LINE.reset(token)


def too_long(line: str) -> bool:
    return len(line) > _LINE.get()


def call(
    prefix: str, args: list[str], suffix: str = ")", indent: int = 4, collection: bool = False
) -> list[str]:
    """Lay out `prefix(args)suffix` the way ruff/black would, so output is pre-formatted:
    on one line, else the arguments on one line of their own (not a `collection`'s
    items: a tuple or list literal that is split has one item a line), else one a line."""
    line = _LINE.get()
    lead = prefix[: len(prefix) - len(prefix.lstrip())]
    one = f"{prefix}{', '.join(args)}{suffix}"
    if indent + len(one) <= line:
        return [one]
    hug = ", ".join(args)
    if not collection and indent + len(lead) + 4 + len(hug) <= line:
        return [prefix, f"{lead}    {hug}", lead + suffix]
    return [prefix, *[f"{lead}    {a}," for a in args], lead + suffix]


def fits(line: str) -> bool:
    """Whether `line` fits on one line of a function body."""
    return len(_BODY) + len(line) <= _LINE.get()


def body(lines: list[str]) -> str:
    """Lines indented into a function body, without a final newline (the template's)."""
    return "\n".join(_BODY + line if line else "" for line in lines)


def from_import(module: str, names: list[str]) -> str:
    """`from module import a, b`, wrapped one name a line when too long (as ruff does)."""
    line = f"from {module} import {', '.join(names)}"
    if not too_long(line):
        return line
    return "\n".join([f"from {module} import (", *(f"    {n}," for n in names), ")"])


def py_string(text: str) -> str:
    """A literal for SQL text: triple-quoted when that is exact, else repr."""
    if '"""' in text or "\\" in text or text.endswith('"') or "\r" in text:
        return repr(text)
    return '"""\\\n' + text + '"""'


def doc_line(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
