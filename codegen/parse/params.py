"""Parameter markers and `sqlc.*` macros, rewritten to `$n` with a map back to the file.

Markers: `@name` (also glued to an operator, `id=@id`), `sqlc.arg(name)`, `sqlc.narg(name)`,
`sqlc.slice(name)` (`x IN (sqlc.slice(ids))` becomes `x = ANY($n)`), `sqlc.embed(t)` (becomes
`t.*`), and positional `$n`, which is kept as written. Both styles may share a statement,
as sqlc allows: the named ones are numbered after the highest `$n`. Each marker kind is one
function that reads tokens at a position and returns how many it consumed; `apply_edits`
does the splice.

Comments are whitespace to the grammar, and so to the markers: they are read past, inside a
macro (`sqlc.arg(/* id */ id)`) and around it (`IN (sqlc.slice(ids) /* ids */)` is still the
whole IN list), and a replaced span drops the comments it covers. A slice that is not the
whole list of an IN (or the whole argument of ANY/ALL) is an error, not an array parameter
where PostgreSQL expects one value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from codegen.errors import CodegenError, SourceText
from codegen.parse.query import Embed, Param, Spans
from codegen.parse.tokens import Tok, glued_param, ident_text, is_comment

_MACROS = ("arg", "narg", "slice", "embed")


@dataclass(frozen=True)
class Edit:
    start: int  # file offsets of the replaced text, end exclusive
    end: int
    text: str


@dataclass(frozen=True)
class Rewritten:
    sql: str
    params: tuple[Param, ...]
    embeds: tuple[Embed, ...]
    spans: Spans


@dataclass
class _Markers:
    """What the scan has found so far in one statement."""

    source: SourceText
    query: str
    named: dict[str, Param] = field(default_factory=dict)
    positional: dict[int, Param] = field(default_factory=dict)
    embeds: list[Embed] = field(default_factory=list)
    edits: list[Edit] = field(default_factory=list)
    first_named: int = 1  # named parameters are numbered from here, after every `$n`

    def error(self, message: str, offset: int) -> CodegenError:
        return CodegenError(f"{self.query}: {message}", self.source, offset)

    def number_for(self, name: str, offset: int, nullable: bool | None, is_slice: bool) -> int:
        """The `$n` of a named parameter; the same name is the same parameter."""
        old = self.named.get(name)
        if old is None:
            number = self.first_named + len(self.named)
            self.named[name] = Param(number, name, nullable, is_slice, False, offset)
            return number
        if is_slice != old.is_slice:
            raise self.error(f"parameter {name!r} used both as a slice and a value", offset)
        if nullable and not old.nullable:
            self.named[name] = Param(old.number, name, True, is_slice, False, old.offset)
        return old.number


def _glued(toks: Sequence[Tok], i: int, m: _Markers) -> int:
    """`id=@id`: the scanner reads `=@` as one operator (sqlc-dev/sqlc#3145); as no such
    operator exists, the only reading is `=` followed by the parameter."""
    tok, nxt = toks[i], toks[i + 1] if i + 1 < len(toks) else None
    if not glued_param(tok, nxt):
        return 0
    assert nxt is not None
    ident = ident_text(nxt)
    assert ident is not None
    n = m.number_for(ident, tok.end - 1, None, False)
    m.edits.append(Edit(tok.end - 1, nxt.end, f"${n}"))
    return 2


def _at_name(toks: Sequence[Tok], i: int, m: _Markers) -> int:
    tok, nxt = toks[i], toks[i + 1] if i + 1 < len(toks) else None
    if tok.name != "Op" or tok.text != "@" or nxt is None or nxt.start != tok.end:
        return 0
    ident = ident_text(nxt)
    if ident is None:
        raise m.error("'@' must be followed by a parameter name", tok.start)
    n = m.number_for(ident, tok.start, None, False)
    m.edits.append(Edit(tok.start, nxt.end, f"${n}"))
    return 2


def _macro(toks: Sequence[Tok], i: int, m: _Markers) -> int:
    """`sqlc.<fn>(name)`: six tokens."""
    tok = toks[i]
    if not (
        tok.text.lower() == "sqlc"
        and i + 5 < len(toks)
        and toks[i + 1].text == "."
        and toks[i + 3].text == "("
        and toks[i + 5].text == ")"
    ):
        return 0
    fn = toks[i + 2].text.lower()
    if fn not in _MACROS:
        raise m.error(
            f"unknown macro sqlc.{toks[i + 2].text}; use "
            + ", ".join(f"sqlc.{f}" for f in _MACROS[:-1])
            + f" or sqlc.{_MACROS[-1]}",
            toks[i + 2].start,
        )
    ident = ident_text(toks[i + 4])
    if ident is None:
        raise m.error(f"sqlc.{fn}() takes one name", toks[i + 4].start)
    if fn == "embed":
        m.embeds.append(Embed(ident, tok.start))
        m.edits.append(Edit(tok.start, toks[i + 5].end, f"{ident}.*"))
        return 6
    n = m.number_for(ident, tok.start, True if fn == "narg" else None, fn == "slice")
    edit = _slice_in(toks, i, n) if fn == "slice" else None
    if fn == "slice" and edit is None and not _array_argument(toks, i):
        raise m.error(
            f"sqlc.slice({ident}) must be the whole list of an IN, x IN (sqlc.slice({ident})), "
            f"or of ANY/ALL, x = ANY(sqlc.slice({ident})); elsewhere pass an array, such "
            f"as @{ident}::int8[]",
            tok.start,
        )
    m.edits.append(edit or Edit(tok.start, toks[i + 5].end, f"${n}"))
    return 7 if edit else 6


def _slice_in(toks: Sequence[Tok], i: int, n: int) -> Edit | None:
    """`x IN (sqlc.slice(ids))` -> `x = ANY($n)`: one array parameter, one plan
    (`NOT IN` -> `<> ALL($n)`). None when the slice is not the whole IN list."""
    before = toks[i - 2 : i]
    after = toks[i + 6] if i + 6 < len(toks) else None
    if not (
        len(before) == 2
        and before[0].name == "IN_P"
        and before[1].text == "("
        and after is not None
        and after.text == ")"
    ):
        return None
    # The scanner says NOT; only the grammar's lookahead turns it into NOT_LA.
    negated = i >= 3 and toks[i - 3].name in ("NOT", "NOT_LA")
    first = toks[i - 3].start if negated else before[0].start
    return Edit(first, after.end, f"<> ALL(${n})" if negated else f"= ANY(${n})")


def _array_argument(toks: Sequence[Tok], i: int) -> bool:
    """`x = ANY(sqlc.slice(ids))` (or ALL, SOME): the slice is already one array there."""
    after = toks[i + 6] if i + 6 < len(toks) else None
    return (
        i >= 2
        and toks[i - 2].name in ("ANY", "ALL", "SOME")
        and toks[i - 1].text == "("
        and after is not None
        and after.text == ")"
    )


def _positional(toks: Sequence[Tok], i: int, m: _Markers) -> int:
    tok = toks[i]
    if tok.name != "PARAM":
        return 0
    number = int(tok.text[1:])
    if number not in m.positional:
        m.positional[number] = Param(number, f"p{number}", None, False, True, tok.start)
    return 1


_READERS = (_glued, _at_name, _macro, _positional)


def rewrite(source: SourceText, body: Sequence[Tok], query: str) -> Rewritten:
    """Replace parameter markers with `$n`, keeping a map back to file offsets."""
    m = _Markers(source, query)
    m.first_named = 1 + max((int(t.text[1:]) for t in body if t.name == "PARAM"), default=0)
    toks = [t for t in body if not is_comment(t)]
    i = 0
    while i < len(toks):
        i += next((n for read in _READERS if (n := read(toks, i, m))), 1)
    params = _in_order(m, body[0].start)
    sql, spans = apply_edits(source.text, body[0].start, body[-1].end, m.edits)
    return Rewritten(sql, params, tuple(m.embeds), spans)


def _in_order(m: _Markers, start: int) -> tuple[Param, ...]:
    """No gap in `$1..$n`; the positional parameters, then the named ones after them."""
    if m.positional:
        missing = sorted(set(range(1, max(m.positional) + 1)) - set(m.positional))
        if missing:
            raise m.error(f"positional parameter ${missing[0]} is never used", start)
    named = sorted(m.named.values(), key=lambda p: p.number)
    return tuple(m.positional[k] for k in sorted(m.positional)) + tuple(named)


def apply_edits(text: str, start: int, end: int, edits: Sequence[Edit]) -> tuple[str, Spans]:
    """`text[start:end]` with the edits spliced in, and its (sql offset, file offset) map."""
    pieces: list[str] = []
    spans: list[tuple[int, int]] = []
    pos = start
    out_len = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end, e.text)):
        spans.append((out_len, pos))
        pieces.append(text[pos : edit.start])
        out_len += edit.start - pos
        spans.append((out_len, edit.start))
        pieces.append(edit.text)
        out_len += len(edit.text)
        pos = edit.end
    spans.append((out_len, pos))
    pieces.append(text[pos:end])
    return "".join(pieces), tuple(spans)
