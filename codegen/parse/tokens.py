"""PostgreSQL's own scanner, and the token tests the other parse modules share."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pglast import parser as pgparser

from codegen.errors import CodegenError, SourceText, parse_error_offset
from codegen.pgtypes import builtins

IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(frozen=True)
class Tok:
    start: int
    end: int  # exclusive
    name: str
    text: str


def scan(source: SourceText) -> list[Tok]:
    try:
        raw = pgparser.scan(source.text)
    except pgparser.ParseError as exc:
        offset = parse_error_offset(exc, len(source.text))
        raise CodegenError(f"cannot tokenize SQL: {exc.args[0]}", source, offset) from None
    return [Tok(t.start, t.end + 1, t.name, source.text[t.start : t.end + 1]) for t in raw]


def is_comment(tok: Tok) -> bool:
    return tok.name in ("SQL_COMMENT", "C_COMMENT")


def ident_text(tok: Tok) -> str | None:
    """The name a token spells (`x`, `"x"` or `'x'`), or None when it is no identifier."""
    if tok.name == "SCONST" and len(tok.text) >= 2 and tok.text[0] == "'":
        inner = tok.text[1:-1]
        return inner if IDENT.match(inner) else None
    if tok.text.startswith('"') and tok.text.endswith('"'):
        inner = tok.text[1:-1]
        return inner if IDENT.match(inner) else None
    return tok.text if IDENT.match(tok.text) else None


def glued_param(tok: Tok, nxt: Tok | None) -> bool:
    """An operator token such as `=@` or `<>@` that is really an operator and `@name`.

    Only when the glued text is no built-in operator and the part before `@` is one, so
    `a <@ b` (is contained by) keeps its meaning.
    """
    if tok.name != "Op" or len(tok.text) < 2 or not tok.text.endswith("@"):
        return False
    if nxt is None or nxt.start != tok.end or ident_text(nxt) is None:
        return False
    operators = builtins().operators
    return tok.text not in operators and tok.text[:-1] in operators
