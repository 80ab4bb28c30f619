"""Which files hold the schema, and which part of each file is the forward migration.

A schema is a list of files and folders (sqlc's `schema:` may name both). A folder's
`*.sql` files apply in file-name order; rollbacks are not schema: yoyo's `*.rollback.sql`
and golang-migrate's `*.down.sql` are skipped. Inside a file, goose (`-- +goose Up` /
`-- +goose Down`) and dbmate (`-- migrate:up` / `-- migrate:down`) mark the directions:
only the up part is schema. The down part is blanked rather than cut, so every line and
column of the file keeps its position in error messages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from codegen.errors import CodegenError, SourceText
from codegen.parse.header import find_header
from codegen.parse.tokens import Tok, is_comment, scan

_DOWN_SUFFIXES = (".rollback.sql", ".down.sql")
# A direction marker: the whole line, as goose and dbmate read it.
_MARKER = re.compile(
    r"^--\s*(?:\+goose\s+(?P<goose>up|down)\b|migrate:(?P<dbmate>up|down)\b).*$",
    re.IGNORECASE | re.MULTILINE,
)


def migration_files(schema_dir: Path) -> list[Path]:
    """yoyo applies forward migrations in file-name order; rollbacks are not schema."""
    return sorted(
        p for p in schema_dir.glob("*.sql") if not p.name.lower().endswith(_DOWN_SUFFIXES)
    )


def sql_files(paths: Iterable[Path], what: str) -> list[Path]:
    """The files `paths` name, in order: a file as itself, a folder as its `*.sql` files."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(migration_files(path))
        elif path.is_file():
            out.append(path)
        else:
            raise CodegenError(f"{what} {path} does not exist")
    return out


# A psql meta-command on a line of its own: pg_dump 17.6 (and 13.22-16.10) wraps its output
# in `\restrict KEY` ... `\unrestrict KEY`; psql runs them, the server never sees them.
_META_COMMAND = re.compile(r"^[ \t]*\\[A-Za-z].*$", re.M)


def forward_sql(text: str) -> str:
    """The SQL the server would run: every down section and psql meta-command line blanked
    (newlines kept, so positions stay), migration markers left as comments."""
    if "\\" in text:
        text = _META_COMMAND.sub(lambda m: _blank(m.group(0)), text)
    if not _MARKER.search(text):
        return text
    out: list[str] = []
    pos = 0
    down = False
    for m in _MARKER.finditer(text):
        out.append(_blank(text[pos : m.start()]) if down else text[pos : m.start()])
        out.append(m.group(0))
        down = (m["goose"] or m["dbmate"]).lower() == "down"
        pos = m.end()
    out.append(_blank(text[pos:]) if down else text[pos:])
    return "".join(out)


def _blank(part: str) -> str:
    return re.sub(r"[^\n]", " ", part)


def without_queries(source: SourceText) -> str:
    """A schema file that is also a queries file (sqlc allows it): its named statements
    (a `-- name:` header above them) are queries, not schema, and are blanked."""
    if "name:" not in source.text:
        return source.text
    text = source.text
    chunk: list[Tok] = []
    for tok in [*scan(source), Tok(len(text), len(text), "ASCII_59", ";")]:
        if tok.name != "ASCII_59":
            chunk.append(tok)
            continue
        lead = chunk[: _lead_len(chunk)]
        if chunk and find_header(lead) is not None:
            start, end = chunk[0].start, tok.end
            text = text[:start] + _blank(text[start:end]) + text[end:]
        chunk = []
    return text


def _lead_len(chunk: list[Tok]) -> int:
    return next((i for i, t in enumerate(chunk) if not is_comment(t)), len(chunk))
