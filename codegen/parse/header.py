"""The `-- name: Name :command` header of a query and the comments around it (doc, vet)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from codegen.commands import Command, parse_command
from codegen.errors import CodegenError, SourceText
from codegen.parse.tokens import IDENT, Tok

# `-- name: X :one`, or the same inside a block comment: `/* name: X :one */`.
_NAME_LINE = re.compile(r"(?:--|/\*)\s*name:\s*(?P<name>\S+)?\s*(?P<cmd>\S+)?\s*(?P<rest>.*)$")
_VET_LINE = re.compile(r"--\s*vet:\s*ignore\s+(?P<rules>[\w\-, ]+)$")


@dataclass(frozen=True)
class Header:
    name: str
    command: Command
    name_offset: int
    doc: tuple[str, ...]
    vet_ignore: frozenset[str]


# sqlc commands of other databases' drivers, and what PostgreSQL offers instead
_NOT_POSTGRESQL = {
    ":execlastid": "':execlastid' returns MySQL's and SQLite's last insert id, which PostgreSQL "
    "does not have: add RETURNING <key> to the INSERT and use :one (the key itself is "
    "returned)",
}


def _match(tok: Tok) -> re.Match[str] | None:
    """The header a comment spells; a block comment is read without its closing `*/`."""
    text = tok.text
    if tok.name == "C_COMMENT":
        if "\n" in text.strip():
            return None
        text = text.removesuffix("*/").rstrip()
    return _NAME_LINE.match(text)


def find_header(lead: Sequence[Tok]) -> int | None:
    """Index of the `-- name:` (or `/* name: */`) comment among those leading a statement."""
    return next((i for i, t in enumerate(lead) if _match(t)), None)


def _command_list() -> str:
    return ", ".join(":" + c for c in Command)


def parse_header(source: SourceText, lead: Sequence[Tok], index: int, prev_end_line: int) -> Header:
    """The header `lead[index]` checked, with the doc and vet comments that belong to it."""
    header = lead[index]
    match = _match(header)
    assert match is not None
    name, cmd = match["name"], match["cmd"]
    if not name:
        raise CodegenError("query name missing after '-- name:'", source, header.start)
    name_col = header.start + match.start("name")
    if not IDENT.match(name):
        raise CodegenError(f"query name {name!r} is not an identifier", source, name_col)
    if not cmd:
        raise CodegenError(
            f"query {name} has no command: add one of {_command_list()}",
            source,
            header.start + len(header.text.rstrip()),
        )
    command = parse_command(cmd[1:]) if cmd.startswith(":") else None
    if command is None:
        raise CodegenError(
            f"query {name}: {_NOT_POSTGRESQL[cmd]}"
            if cmd in _NOT_POSTGRESQL
            else f"unknown command {cmd!r} for query {name}: use one of {_command_list()}",
            source,
            header.start + match.start("cmd"),
        )
    if match["rest"].strip():
        raise CodegenError(
            f"unexpected text after the command: {match['rest'].strip()!r}",
            source,
            header.start + match.start("rest"),
        )
    comments = [*_comments_above(source, lead, index, prev_end_line), *lead[index + 1 :]]
    doc, vet_ignore = _doc_and_vet(comments)
    return Header(name, command, name_col, doc, vet_ignore)


def _comments_above(
    source: SourceText, lead: Sequence[Tok], index: int, prev_end_line: int
) -> list[Tok]:
    """`--` lines directly above the header (no blank line, not trailing a statement)."""
    above: list[Tok] = []
    want = source.position(lead[index].start)[0] - 1
    for tok in reversed(lead[:index]):
        line = source.position(tok.start)[0]
        if tok.name != "SQL_COMMENT" or line != want or line <= prev_end_line:
            break
        above.insert(0, tok)
        want -= 1
    return above


def _doc_and_vet(comments: Sequence[Tok]) -> tuple[tuple[str, ...], frozenset[str]]:
    doc: list[str] = []
    vet_ignore: set[str] = set()
    for tok in comments:
        vet = _VET_LINE.match(tok.text.strip())
        if vet:
            vet_ignore.update(r.strip() for r in vet["rules"].replace(",", " ").split())
        elif tok.name == "SQL_COMMENT":
            doc.append(tok.text[2:].strip())
        else:
            doc.extend(line.strip(" *") for line in tok.text[2:-2].strip().splitlines())
    return tuple(doc), frozenset(vet_ignore)
