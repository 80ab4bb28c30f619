"""`verify`: let PostgreSQL itself judge every query and the static inference.

Loads the schema into a scratch database, PREPAREs each query and compares the
parameter and column types the server reports (array-ness included: `int8` is not
`int8[]`) with what `analyze` inferred. The static path is the default (no database
needed to generate); this is the safety net that keeps it honest. A query the server
rejects is bad input like a syntax error: `file:line:col`, the line, a caret and the
server's message.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import asyncpg
import pglast
from pglast import ast

from codegen import catalog, dbutil
from codegen.analyze import Analysis
from codegen.config import Config
from codegen.errors import CodegenError, SourceText, parse_error_offset
from codegen.pipeline import Result, read_source, schema_files


@dataclass(frozen=True)
class Mismatch:
    where: str  # file:line query
    what: str


@dataclass(frozen=True)
class Outcome:
    """What PostgreSQL said about every query: rejections and type mismatches."""

    checked: int
    rejected: tuple[CodegenError, ...]
    mismatches: tuple[Mismatch, ...]
    note: str = ""  # the server is of another major than the project targets (cli: stderr)

    @property
    def ok(self) -> bool:
        return not self.rejected and not self.mismatches

    def summary(self) -> str:
        return (
            f"verified {self.checked} queries against PostgreSQL: "
            f"{len(self.rejected)} rejected by PostgreSQL, {len(self.mismatches)} type mismatches"
        )


def server_type(t: asyncpg.types.Type) -> str:
    """The server's type in our spelling: arrays as `_elem`, like pg_type.typname, and a
    type outside pg_catalog and public as `schema.name`."""
    name = t.name
    if t.kind == "array" and not name.startswith("_"):
        name = "_" + name.removesuffix("[]")
    return name if t.schema in ("pg_catalog", "public") else f"{t.schema}.{name}"


def _rejected(a: Analysis, exc: asyncpg.PostgresError) -> CodegenError:
    """The server's error at the spot it points to (its 1-based `position`, if any)."""
    position = getattr(exc, "position", None)
    offset = int(position) - 1 if position and str(position).isdigit() else None
    return a.query.error(f"rejected by PostgreSQL: {exc.args[0] if exc.args else exc}", offset)


def compare(a: Analysis, params: list[str], columns: list[tuple[str, str]]) -> list[Mismatch]:
    """Our inference against the server's parameter types and (name, type) columns."""
    q = a.query
    where = f"{q.source.path}:{q.line} {q.name}"
    out = []
    if len(params) != len(a.params):
        out.append(
            Mismatch(where, f"{len(params)} parameters on the server, {len(a.params)} inferred")
        )
    for p, server in zip(a.params, params, strict=False):
        if p.type != server:
            out.append(
                Mismatch(where, f"parameter {p.name}: server says {server}, inferred {p.type}")
            )
    if len(columns) != len(a.columns):
        out.append(
            Mismatch(where, f"{len(columns)} columns on the server, {len(a.columns)} inferred")
        )
    for i, (col, (name, server)) in enumerate(zip(a.columns, columns, strict=False)):
        if col.type != server:
            out.append(
                Mismatch(where, f"column {col.name}: server says {server}, inferred {col.type}")
            )
        if col.name != name:
            out.append(Mismatch(where, f"column {i + 1}: server names it {name}, not {col.name}"))
    return out


async def _check(conn: asyncpg.Connection[asyncpg.Record], result: Result) -> Outcome:
    rejected: list[CodegenError] = []
    mismatches: list[Mismatch] = []
    analyses = [a for v in result.files.values() for a in v]
    for a in analyses:
        try:
            stmt = await conn.prepare(a.query.sql)
        except asyncpg.PostgresError as exc:
            rejected.append(_rejected(a, exc))
            continue
        params = [server_type(t) for t in stmt.get_parameters()]
        columns = [(attr.name, server_type(attr.type)) for attr in stmt.get_attributes()]
        mismatches.extend(compare(a, params, columns))
    return Outcome(len(analyses), tuple(rejected), tuple(mismatches))


async def apply_schema(conn: asyncpg.Connection[asyncpg.Record], config: Config) -> None:
    """Run the schema's forward SQL statement by statement, as the catalog read it (any
    migration format; named queries in a shared file skipped), with function bodies
    unchecked as pg_dump's output does: a body may name a table created later."""
    path_sql = ", ".join('"' + s.replace('"', '""') + '"' for s in config.search_path)
    await conn.execute(f"SET check_function_bodies = off; SET search_path = {path_sql}")
    for path in schema_files(config):
        source = SourceText(path.as_posix(), read_source(path, config))
        text = catalog.without_queries(SourceText(source.path, catalog.forward_sql(source.text)))
        try:
            stmts = list(pglast.parse_sql(text))
        except pglast.parser.ParseError as exc:
            offset = parse_error_offset(exc, len(text))
            raise CodegenError(str(exc.args[0]), source, offset) from None
        if _own_transactions(text, stmts):
            await _run(conn, source, text, stmts)
        else:
            async with conn.transaction():  # a file is one migration, as yoyo applies it
                await _run(conn, source, text, stmts)
    # the queries run in a session of their own: pg_dump's `set_config('search_path', ...)`
    # and other settings of the schema's scripts do not apply to them
    await conn.execute(f"RESET ALL; SET search_path = {path_sql}")


def _own_transactions(text: str, stmts: list[Any]) -> bool:
    """Whether a file must run outside one transaction: it controls its own, or runs a
    statement that cannot run inside one (as yoyo, goose and dbmate are told so)."""
    return (
        any(isinstance(r.stmt, ast.TransactionStmt) for r in stmts)
        or any(isinstance(r.stmt, ast.IndexStmt) and r.stmt.concurrent for r in stmts)
        or any(m in text for m in ("transactional: false", "NO TRANSACTION", "transaction:false"))
    )


async def _run(
    conn: asyncpg.Connection[asyncpg.Record], source: SourceText, text: str, stmts: list[Any]
) -> None:
    for raw in stmts:
        start = raw.stmt_location or 0
        sql = text[start : start + raw.stmt_len] if raw.stmt_len else text[start:]
        try:
            await conn.execute(sql)
        except asyncpg.PostgresError as exc:
            offset = start + len(sql) - len(sql.lstrip())
            raise CodegenError(f"schema rejected by PostgreSQL: {exc}", source, offset) from None


async def verify(
    config: Config,
    result: Result,
    dsn: str,
    *,
    scratch_prefix: str = dbutil.DEFAULT_SCRATCH_PREFIX,
) -> Outcome:
    """Load the schema into a scratch database on `dsn`'s server, PREPARE every query
    there, compare."""
    async with dbutil.scratch_database(dsn, prefix=scratch_prefix) as target:
        conn = await dbutil.connect(target)
        try:
            major = int(await conn.fetchval("SHOW server_version_num")) // 10000
            await apply_schema(conn, config)
            outcome = await _check(conn, result)
        finally:
            await conn.close()
    if major != config.postgresql:
        note = (
            f"note: the server is PostgreSQL {major}, the project targets {config.postgresql}"
            " ([tool.codegen] postgresql): verify on a server of the targeted major"
        )
        outcome = replace(outcome, note=note)
    return outcome
