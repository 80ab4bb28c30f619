"""`*`, `t.*`, `RETURNING *` and `sqlc.embed(t)` written out as explicit columns.

The generated code builds rows by position. Sent as written, `SELECT *` returns whatever
columns the live table has, in its current order: after a migration adds a column, or
drops and re-adds one (an expand/contract step), the old code would silently shift every
field. So, as sqlc does, each star is replaced at generate time by the column list the
analyzer typed, and the server either returns exactly those columns or fails with
"column does not exist". The `.sql` files stay as written; only the SQL sent changes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pglast import ast, keywords
from pglast.parser import scan

from codegen.analyze.context import Context, present

_PLAIN = re.compile(r"[a-z_][a-z0-9_$]*")
# Unreserved keywords are identifiers anywhere; the others need quotes as a column.
_RESERVED = frozenset(
    keywords.RESERVED_KEYWORDS | keywords.COL_NAME_KEYWORDS | keywords.TYPE_FUNC_NAME_KEYWORDS
)
# Lines longer than this are wrapped at a comma: the SQL is printed in the generated
# module as is, and that module must stay within the project's line length.
WIDTH = 80


def quote_ident(name: str) -> str:
    """`name` as SQL: bare when PostgreSQL reads it back unchanged, else double-quoted."""
    if _PLAIN.fullmatch(name) and name not in _RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


def record(
    ctx: Context, ref: ast.ColumnRef, refs: list[tuple[str | None, str]], quoted: bool = False
) -> None:
    """Remembers the column list for the star `ref`: (qualifier, column) pairs, the
    qualifier already quoted when `quoted`. A list that names cannot express (two columns
    of one name under one qualifier) keeps the star: its columns are the query's own."""
    if ctx.query is None:
        return  # a view's definition: the catalog only needs its columns
    if len(set(refs)) < len(refs):
        keep(ctx, ref)
        return
    ctx.star_edits[present(ref.location)] = tuple(
        (f"{qual if quoted else quote_ident(qual)}." if qual else "") + quote_ident(name)
        for qual, name in refs
    )


def keep(ctx: Context, ref: ast.ColumnRef) -> None:
    """The star `ref` is sent as written (its columns are the query's own, fixed)."""
    ctx.star_edits[present(ref.location)] = None


def expand(sql: str, edits: Mapping[int, tuple[str, ...] | None]) -> str:
    """`sql` with each star that starts at an edited location replaced by its columns."""
    out = ""
    pos = 0
    for start in sorted(edits):
        items = edits[start]
        if items is None:
            continue
        end = _star_end(sql, start)
        out += sql[pos:start]
        line = out[out.rfind("\n") + 1 :]
        rest = sql[end:].split("\n", 1)[0]
        out += _wrapped(items, line, len(rest))
        pos = end
    return out + sql[pos:]


def _wrapped(items: tuple[str, ...], line: str, after: int) -> str:
    """`a, b, c` continuing `line` (followed by `after` characters), broken after a comma
    where the line would pass WIDTH; continuation lines indented one step past `line`."""
    indent = line[: len(line) - len(line.lstrip())] + "    "
    text, width = "", len(line)
    for i, item in enumerate(items):
        piece = item + ("," if i < len(items) - 1 else "")
        tail = after if i == len(items) - 1 else 0
        if i and width + 1 + len(piece) + tail > WIDTH:
            text += "\n" + indent
            width = len(indent)
        elif i:
            text += " "
            width += 1
        text += piece
        width += len(piece)
    return text


def _star_end(sql: str, start: int) -> int:
    """Where the star reference starting at `start` (`*`, `t.*`, `"T" . *`) ends."""
    for tok in scan(sql[start:]):
        if tok.start == tok.end and sql[start + tok.start] == "*":
            return start + tok.end + 1
    raise ValueError(f"no '*' after offset {start}")
