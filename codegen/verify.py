"""`verify`: let PostgreSQL itself judge every query and the static inference.

Applies the migrations to a scratch database, PREPAREs each query and compares the
parameter and column types the server reports with what `analyze` inferred. The static
path is the default (no database needed to generate); this is the safety net that keeps
it honest.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from codegen import migrate
from codegen.analyze import Analysis
from codegen.config import Config
from codegen.pipeline import Result


@dataclass(frozen=True)
class Mismatch:
    where: str  # file:line query
    what: str


def _with_db(dsn: str, dbname: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + dbname))


def _server_type(t: asyncpg.types.Type) -> str:
    return (
        t.name if t.kind != "array" or t.name.startswith("_") else "_" + t.name.removesuffix("[]")
    )


async def _check_query(conn: asyncpg.Connection[asyncpg.Record], a: Analysis) -> list[Mismatch]:
    q = a.query
    where = f"{q.source.path}:{q.line} {q.name}"
    try:
        stmt = await conn.prepare(q.sql)
    except asyncpg.PostgresError as exc:
        return [Mismatch(where, f"PostgreSQL rejects it: {exc}")]
    out = []
    server_params = [_server_type(t) for t in stmt.get_parameters()]
    ours = [p.type for p in a.params]
    if len(server_params) != len(ours):
        out.append(
            Mismatch(where, f"{len(server_params)} parameters on the server, {len(ours)} inferred")
        )
    for p, server in zip(a.params, server_params, strict=False):
        if p.type != server:
            out.append(
                Mismatch(where, f"parameter {p.name}: server says {server}, inferred {p.type}")
            )
    attrs = stmt.get_attributes()
    if len(attrs) != len(a.columns):
        out.append(
            Mismatch(where, f"{len(attrs)} columns on the server, {len(a.columns)} inferred")
        )
    for col, attr in zip(a.columns, attrs, strict=False):
        server = _server_type(attr.type)
        if col.type != server:
            out.append(
                Mismatch(where, f"column {col.name}: server says {server}, inferred {col.type}")
            )
    return out


async def verify(config: Config, result: Result, dsn: str) -> list[Mismatch]:
    scratch = f"codegen_verify_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{scratch}"')
    finally:
        await admin.close()
    target = _with_db(dsn, scratch)
    try:
        await asyncio.to_thread(migrate.apply, target, config.schema)
        conn = await asyncpg.connect(target)
        try:
            mismatches: list[Mismatch] = []
            for analyses in result.files.values():
                for a in analyses:
                    mismatches.extend(await _check_query(conn, a))
            return mismatches
        finally:
            await conn.close()
    finally:
        admin = await asyncpg.connect(dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        finally:
            await admin.close()
