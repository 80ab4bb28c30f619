"""Stage 1 — parse: split `queries/*.sql` into named queries and rewrite parameters to `$n`.

Everything here works on PostgreSQL's own scanner and parser (pglast/libpg_query): the
header comments, the statement boundaries and the parameter markers are tokens, never
regular expressions over SQL, so a `@` inside a string literal or a `;` inside a quoted
identifier can't fool it. The only rewriting is the one sqlc does: parameter markers become
`$n` (and `IN (sqlc.slice(x))` becomes `= ANY($n)`); the rest of the statement is kept
byte for byte, so the SQL the DBA reviewed is the SQL the server runs.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pglast
from pglast import parser as pgparser

from codegen.errors import CodegenError, SourceText, parse_error_offset
from codegen.pgtypes import builtins

COMMANDS = (
    "one",
    "many",
    "exec",
    "execrows",
    "execresult",
    "copyfrom",
    "batchexec",
    "batchmany",
    "batchone",
)

_NAME_LINE = re.compile(r"--\s*name:\s*(?P<name>\S+)?\s*(?P<cmd>\S+)?\s*(?P<rest>.*)$")
_VET_LINE = re.compile(r"--\s*vet:\s*ignore\s+(?P<rules>[\w\-, ]+)$")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


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


@dataclass(frozen=True)
class Query:
    """A named statement ready for analysis; `sql` is what the server will run."""

    name: str
    command: str
    source: SourceText
    name_offset: int
    doc: tuple[str, ...]
    vet_ignore: frozenset[str]
    sql: str
    params: tuple[Param, ...]
    embeds: tuple[Embed, ...]
    # (offset in sql, offset in file) at the start of each kept or replaced span
    spans: tuple[tuple[int, int], ...]
    stmt: Any = field(compare=False, repr=False)

    def file_offset(self, sql_offset: int) -> int:
        best = self.spans[0]
        for span in self.spans:
            if span[0] <= sql_offset:
                best = span
            else:
                break
        return best[1] + (sql_offset - best[0])

    def error(self, message: str, sql_offset: int | None = None) -> CodegenError:
        offset = self.name_offset if sql_offset is None else self.file_offset(sql_offset)
        return CodegenError(f"{self.name}: {message}", self.source, offset)

    @property
    def line(self) -> int:
        return self.source.position(self.name_offset)[0]


def snake_case(name: str) -> str:
    """GetChatModelConfigByID -> get_chat_model_config_by_id; ListByIDs -> list_by_ids."""
    # A plural acronym (IDs, URLs) is one word, not I + Ds.
    name = re.sub(r"([A-Z])([A-Z]+)s(?=[A-Z0-9_]|$)", lambda m: m[1] + m[2].lower() + "s", name)
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    return name.lower()


def python_name(name: str) -> str:
    return name + "_" if keyword.iskeyword(name) or name == "conn" else name


@dataclass
class _Tok:
    start: int
    end: int  # exclusive
    name: str
    text: str


def _scan(source: SourceText) -> list[_Tok]:
    try:
        raw = pgparser.scan(source.text)
    except pgparser.ParseError as exc:
        offset = parse_error_offset(exc, len(source.text))
        raise CodegenError(f"cannot tokenize SQL: {exc.args[0]}", source, offset) from None
    return [_Tok(t.start, t.end + 1, t.name, source.text[t.start : t.end + 1]) for t in raw]


def parse_file(path: str, text: str) -> list[Query]:
    """All queries of one file, in order. Raises CodegenError on the first bad one."""
    source = SourceText(path, text)
    tokens = _scan(source)
    queries: list[Query] = []
    chunk: list[_Tok] = []
    prev_end_line = 0
    for tok in [*tokens, _Tok(len(text), len(text), "ASCII_59", ";")]:
        if tok.name == "ASCII_59":
            if chunk:
                query = _chunk_to_query(source, chunk, prev_end_line)
                if query is not None:
                    queries.append(query)
            prev_end_line = source.position(tok.start)[0]
            chunk = []
        else:
            chunk.append(tok)
    return queries


def _is_comment(tok: _Tok) -> bool:
    return tok.name in ("SQL_COMMENT", "C_COMMENT")


def _chunk_to_query(source: SourceText, chunk: list[_Tok], prev_end_line: int) -> Query | None:
    lead: list[_Tok] = []
    body_start = len(chunk)
    for i, tok in enumerate(chunk):
        if not _is_comment(tok):
            body_start = i
            break
        lead.append(tok)
    body = chunk[body_start:]
    header_idx = next((i for i, t in enumerate(lead) if _NAME_LINE.match(t.text)), None)
    if header_idx is None:
        if not body:
            return None
        raise CodegenError(
            "statement has no '-- name: <Name> :<command>' comment above it",
            source,
            body[0].start,
        )
    header = lead[header_idx]
    match = _NAME_LINE.match(header.text)
    assert match is not None
    name, cmd = match["name"], match["cmd"]
    if not name:
        raise CodegenError("query name missing after '-- name:'", source, header.start)
    name_col = header.start + match.start("name")
    if not _IDENT.match(name):
        raise CodegenError(f"query name {name!r} is not an identifier", source, name_col)
    if not cmd:
        raise CodegenError(
            f"query {name} has no command: add one of " + ", ".join(":" + c for c in COMMANDS),
            source,
            header.start + len(header.text.rstrip()),
        )
    cmd_off = header.start + match.start("cmd")
    if not cmd.startswith(":") or cmd[1:] not in COMMANDS:
        raise CodegenError(
            f"unknown command {cmd!r} for query {name}: use one of "
            + ", ".join(":" + c for c in COMMANDS),
            source,
            cmd_off,
        )
    if match["rest"].strip():
        raise CodegenError(
            f"unexpected text after the command: {match['rest'].strip()!r}",
            source,
            header.start + match.start("rest"),
        )
    if not body:
        raise CodegenError(f"query {name} has no SQL statement", source, header.start)

    header_line = source.position(header.start)[0]
    doc: list[str] = []
    vet_ignore: set[str] = set()
    # Comment lines directly above the header (no blank line, not trailing a statement).
    above: list[_Tok] = []
    want = header_line - 1
    for tok in reversed(lead[:header_idx]):
        line = source.position(tok.start)[0]
        if tok.name != "SQL_COMMENT" or line != want or line <= prev_end_line:
            break
        above.insert(0, tok)
        want -= 1
    for tok in [*above, *lead[header_idx + 1 :]]:
        vet = _VET_LINE.match(tok.text.strip())
        if vet:
            vet_ignore.update(r.strip() for r in vet["rules"].replace(",", " ").split())
        elif tok.name == "SQL_COMMENT":
            doc.append(tok.text[2:].strip())
        else:
            doc.extend(line.strip(" *") for line in tok.text[2:-2].strip().splitlines())

    sql, params, embeds, spans = _rewrite(source, body, name)
    stmt = _parse_statement(source, sql, spans, name)
    return Query(
        name=name,
        command=cmd[1:],
        source=source,
        name_offset=name_col,
        doc=tuple(doc),
        vet_ignore=frozenset(vet_ignore),
        sql=sql,
        params=params,
        embeds=embeds,
        spans=spans,
        stmt=stmt,
    )


def _parse_statement(
    source: SourceText, sql: str, spans: tuple[tuple[int, int], ...], name: str
) -> Any:
    def at(sql_offset: int) -> int:
        best = spans[0]
        for span in spans:
            if span[0] <= sql_offset:
                best = span
        return best[1] + (sql_offset - best[0])

    try:
        stmts = pglast.parse_sql(sql)
    except pgparser.ParseError as exc:
        offset = parse_error_offset(exc, len(sql))
        raise CodegenError(f"{name}: {exc.args[0]}", source, at(offset)) from None
    if len(stmts) != 1:
        raise CodegenError(f"{name}: expected exactly one statement", source, at(0))
    return stmts[0].stmt


def _ident_text(tok: _Tok) -> str | None:
    if tok.name == "SCONST" and len(tok.text) >= 2 and tok.text[0] == "'":
        inner = tok.text[1:-1]
        return inner if _IDENT.match(inner) else None
    if tok.text.startswith('"') and tok.text.endswith('"'):
        inner = tok.text[1:-1]
        return inner if _IDENT.match(inner) else None
    return tok.text if _IDENT.match(tok.text) else None


def _glued_param(tok: _Tok, nxt: _Tok | None) -> bool:
    """An operator token such as `=@` or `<>@` that is really an operator and `@name`.

    Only when the glued text is no built-in operator and the part before `@` is one, so
    `a <@ b` (is contained by) keeps its meaning.
    """
    if tok.name != "Op" or len(tok.text) < 2 or not tok.text.endswith("@"):
        return False
    if nxt is None or nxt.start != tok.end or _ident_text(nxt) is None:
        return False
    operators = builtins().operators
    return tok.text not in operators and tok.text[:-1] in operators


def _rewrite(
    source: SourceText, body: Sequence[_Tok], query_name: str
) -> tuple[str, tuple[Param, ...], tuple[Embed, ...], tuple[tuple[int, int], ...]]:
    """Replace parameter markers with `$n`, keeping a map back to file offsets."""
    text = source.text
    start, end = body[0].start, body[-1].end
    # (file_start, file_end, replacement, param name or None)
    edits: list[tuple[int, int, str]] = []
    params: dict[str, Param] = {}
    embeds: list[Embed] = []
    positional: dict[int, Param] = {}
    named_used = False

    def number_for(name: str, offset: int, nullable: bool | None, is_slice: bool) -> int:
        name = python_name(name)
        if name in params:
            old = params[name]
            if is_slice != old.is_slice:
                raise CodegenError(
                    f"{query_name}: parameter {name!r} used both as a slice and a value",
                    source,
                    offset,
                )
            if nullable and not old.nullable:
                params[name] = Param(old.number, name, True, is_slice, False, old.offset)
            return old.number
        number = len(params) + 1
        params[name] = Param(number, name, nullable, is_slice, False, offset)
        return number

    i = 0
    toks = list(body)
    while i < len(toks):
        tok = toks[i]
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if _glued_param(tok, nxt):
            # `id=@id`: the scanner reads `=@` as one operator (sqlc-dev/sqlc#3145); as no
            # such operator exists, the only reading is `=` followed by the parameter.
            assert nxt is not None
            ident = _ident_text(nxt)
            assert ident is not None
            n = number_for(ident, tok.end - 1, None, False)
            named_used = True
            edits.append((tok.end - 1, nxt.end, f"${n}"))
            i += 2
            continue
        if tok.name == "Op" and tok.text == "@" and nxt is not None and nxt.start == tok.end:
            ident = _ident_text(nxt)
            if ident is None:
                raise CodegenError(
                    f"{query_name}: '@' must be followed by a parameter name", source, tok.start
                )
            n = number_for(ident, tok.start, None, False)
            named_used = True
            edits.append((tok.start, nxt.end, f"${n}"))
            i += 2
            continue
        if (
            tok.text.lower() == "sqlc"
            and i + 5 < len(toks)
            and toks[i + 1].text == "."
            and toks[i + 3].text == "("
            and toks[i + 5].text == ")"
        ):
            fn = toks[i + 2].text.lower()
            ident = _ident_text(toks[i + 4])
            if fn not in ("arg", "narg", "slice", "embed"):
                raise CodegenError(
                    f"{query_name}: unknown macro sqlc.{toks[i + 2].text}; "
                    "use sqlc.arg, sqlc.narg, sqlc.slice or sqlc.embed",
                    source,
                    toks[i + 2].start,
                )
            if ident is None:
                raise CodegenError(
                    f"{query_name}: sqlc.{fn}() takes one name", source, toks[i + 4].start
                )
            named_used = True
            first, last = tok.start, toks[i + 5].end
            if fn == "embed":
                embeds.append(Embed(ident, tok.start))
                edits.append((first, last, f"{ident}.*"))
                i += 6
                continue
            n = number_for(ident, tok.start, True if fn == "narg" else None, fn == "slice")
            replacement = f"${n}"
            if fn == "slice":
                # `x IN (sqlc.slice(ids))` -> `x = ANY($n)`: one array parameter, one plan.
                before = toks[i - 2 : i]
                after = toks[i + 6] if i + 6 < len(toks) else None
                if (
                    len(before) == 2
                    and before[0].name == "IN_P"
                    and before[1].text == "("
                    and after is not None
                    and after.text == ")"
                ):
                    # The scanner says NOT; only the grammar's lookahead turns it into NOT_LA.
                    negated = i >= 3 and toks[i - 3].name in ("NOT", "NOT_LA")
                    first = toks[i - 3].start if negated else before[0].start
                    last = after.end
                    replacement = f"<> ALL(${n})" if negated else f"= ANY(${n})"
                    i += 1
            edits.append((first, last, replacement))
            i += 6
            continue
        if tok.name == "PARAM":
            number = int(tok.text[1:])
            if number not in positional:
                positional[number] = Param(number, f"p{number}", None, False, True, tok.start)
            i += 1
            continue
        i += 1

    if positional and named_used:
        raise CodegenError(
            f"{query_name}: mixes positional $n and named parameters; use one style",
            source,
            min(p.offset for p in positional.values()),
        )
    if positional:
        missing = sorted(set(range(1, max(positional) + 1)) - set(positional))
        if missing:
            raise CodegenError(
                f"{query_name}: positional parameter ${missing[0]} is never used",
                source,
                start,
            )

    pieces: list[str] = []
    spans: list[tuple[int, int]] = []
    pos = start
    out_len = 0
    for e_start, e_end, repl in sorted(edits):
        spans.append((out_len, pos))
        pieces.append(text[pos:e_start])
        out_len += e_start - pos
        spans.append((out_len, e_start))
        pieces.append(repl)
        out_len += len(repl)
        pos = e_end
    spans.append((out_len, pos))
    pieces.append(text[pos:end])
    all_params = positional if positional else {p.number: p for p in params.values()}
    return (
        "".join(pieces),
        tuple(all_params[k] for k in sorted(all_params)),
        tuple(embeds),
        tuple(spans),
    )
