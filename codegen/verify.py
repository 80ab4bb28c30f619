"""`verify`: let PostgreSQL itself judge every query and the static inference.

Applies the migrations to a scratch database, PREPAREs each query and compares the
parameter and column types the server reports (array-ness included: `int8` is not
`int8[]`) with what `analyze` inferred. The static path is the default (no database
needed to generate); this is the safety net that keeps it honest. A query the server
rejects is bad input like a syntax error: `file:line:col`, the line, a caret and the
server's message.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import asyncpg

from codegen import dbutil, migrate
from codegen.analyze import Analysis
from codegen.config import Config
from codegen.errors import CodegenError
from codegen.pipeline import Result


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

    @property
    def ok(self) -> bool:
        return not self.rejected and not self.mismatches

    def summary(self) -> str:
        return (
            f"verified {self.checked} queries against PostgreSQL: "
            f"{len(self.rejected)} rejected by PostgreSQL, {len(self.mismatches)} type mismatches"
        )


def server_type(t: asyncpg.types.Type) -> str:
    """The server's type in our spelling: arrays as `_elem`, like pg_type.typname."""
    if t.kind != "array" or t.name.startswith("_"):
        return t.name
    return "_" + t.name.removesuffix("[]")


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
    for col, (_, server) in zip(a.columns, columns, strict=False):
        if col.type != server:
            out.append(
                Mismatch(where, f"column {col.name}: server says {server}, inferred {col.type}")
            )
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


async def verify(
    config: Config,
    result: Result,
    dsn: str,
    *,
    scratch_prefix: str = dbutil.DEFAULT_SCRATCH_PREFIX,
) -> Outcome:
    """Migrate a scratch database on `dsn`'s server, PREPARE every query there, compare."""
    async with dbutil.scratch_database(dsn, prefix=scratch_prefix) as target:
        await asyncio.to_thread(migrate.apply, target, config.schema)
        conn = await dbutil.connect(target)
        try:
            return await _check(conn, result)
        finally:
            await conn.close()
