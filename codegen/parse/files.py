"""A queries file: split into statements at `;` tokens, each a named `Query`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pglast
from pglast import parser as pgparser

from codegen.errors import CodegenError, SourceText, parse_error_offset
from codegen.parse.header import find_header, parse_header
from codegen.parse.params import rewrite
from codegen.parse.query import Query, Spans, file_offset
from codegen.parse.tokens import Tok, is_comment, scan


def parse_file(path: str, text: str) -> list[Query]:
    """All queries of one file, in order. Raises CodegenError on the first bad one."""
    source = SourceText(path, text)
    queries: list[Query] = []
    chunk: list[Tok] = []
    prev_end_line = 0
    for tok in [*scan(source), Tok(len(text), len(text), "ASCII_59", ";")]:
        if tok.name != "ASCII_59":
            chunk.append(tok)
            continue
        if chunk:
            query = _chunk_to_query(source, chunk, prev_end_line)
            if query is not None:
                queries.append(query)
        prev_end_line = source.position(tok.start)[0]
        chunk = []
    return queries


def _chunk_to_query(source: SourceText, chunk: Sequence[Tok], prev_end_line: int) -> Query | None:
    """One statement and the comments leading it; None for comments alone."""
    body_start = next((i for i, tok in enumerate(chunk) if not is_comment(tok)), len(chunk))
    lead, body = chunk[:body_start], chunk[body_start:]
    index = find_header(lead)
    if index is None:
        if not body or _is_schema_statement(source, body):
            return None
        raise CodegenError(
            "statement has no '-- name: <Name> :<command>' comment above it",
            source,
            body[0].start,
        )
    header = parse_header(source, lead, index, prev_end_line)
    if not body:
        raise CodegenError(f"query {header.name} has no SQL statement", source, lead[index].start)
    rewritten = rewrite(source, body, header.name)
    return Query(
        name=header.name,
        command=header.command,
        source=source,
        name_offset=header.name_offset,
        doc=header.doc,
        vet_ignore=header.vet_ignore,
        sql=rewritten.sql,
        params=rewritten.params,
        embeds=rewritten.embeds,
        spans=rewritten.spans,
        stmt=_parse_statement(source, rewritten.sql, rewritten.spans, header.name),
    )


# Statements that read or write rows: unnamed, they are a query someone forgot to name.
_DML = ("SelectStmt", "InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt")


def _is_schema_statement(source: SourceText, body: Sequence[Tok]) -> bool:
    """An unnamed DDL statement (sqlc lets one file be both schema and queries): skipped.

    Anything that does not parse alone, or that reads or writes rows, is not."""
    try:
        stmts = pglast.parse_sql(source.text[body[0].start : body[-1].end])
    except pgparser.ParseError:
        return False
    return len(stmts) == 1 and type(stmts[0].stmt).__name__ not in _DML


def _parse_statement(source: SourceText, sql: str, spans: Spans, name: str) -> Any:
    try:
        stmts = pglast.parse_sql(sql)
    except pgparser.ParseError as exc:
        offset = parse_error_offset(exc, len(sql))
        raise CodegenError(f"{name}: {exc.args[0]}", source, file_offset(spans, offset)) from None
    if len(stmts) != 1:
        raise CodegenError(f"{name}: expected exactly one statement", source, file_offset(spans, 0))
    return stmts[0].stmt
