"""`drift`: does a live database have exactly the schema its migrations produce?

Someone adds an index by hand, a hotfix alters a column, a migration file is edited after
it ran: the generated code is typed against the migrations, so the database must match
them. We do not re-implement PostgreSQL's DDL semantics to find out: the migrations the
live database has applied are applied to a scratch database on the same server, and the
two catalogs are compared (tables and columns with their types, nullability, defaults and
order; enums; indexes; constraints, including NOT VALID ones; sequences). Migrations not
yet applied and edited migration files are reported too. The same snapshot proves
apply -> rollback -> apply reproduces a schema (tests/test_migrate.py).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg

from codegen import dbutil, migrate

Snapshot = dict[str, dict[str, str]]  # kind -> object name -> its definition

_NOT_BOOKKEEPING = "NOT LIKE '%yoyo%'"

SNAPSHOT_QUERIES: dict[str, str] = {
    "column": f"""
        SELECT c.relname || '.' || a.attname,
               concat_ws(' ', format_type(a.atttypid, a.atttypmod),
                   CASE WHEN a.attnotnull THEN 'NOT NULL' ELSE 'NULL' END,
                   'DEFAULT ' || pg_get_expr(d.adbin, d.adrelid),
                   CASE a.attidentity WHEN 'a' THEN 'IDENTITY ALWAYS'
                                      WHEN 'd' THEN 'IDENTITY BY DEFAULT' END,
                   CASE WHEN a.attgenerated = 's' THEN 'GENERATED' END,
                   '(position ' || row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum)
                       || ')')
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')
          AND a.attnum > 0 AND NOT a.attisdropped AND c.relname {_NOT_BOOKKEEPING}""",
    "constraint": f"""
        SELECT conrelid::regclass::text || '.' || conname,
               pg_get_constraintdef(oid) || CASE WHEN convalidated THEN '' ELSE ' NOT VALID' END
        FROM pg_constraint
        WHERE connamespace = 'public'::regnamespace AND contype <> 't'
          AND conrelid::regclass::text {_NOT_BOOKKEEPING}""",
    "index": f"""
        SELECT tablename || '.' || indexname, indexdef FROM pg_indexes
        WHERE schemaname = 'public' AND tablename {_NOT_BOOKKEEPING}""",
    "enum": """
        SELECT t.typname, string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)
        FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
        WHERE t.typnamespace = 'public'::regnamespace GROUP BY t.typname""",
    "sequence": f"""
        SELECT sequencename, concat_ws(' ', data_type::text, 'START', start_value,
                                       'INCREMENT', increment_by, 'MAXVALUE', max_value)
        FROM pg_sequences WHERE schemaname = 'public' AND sequencename {_NOT_BOOKKEEPING}""",
}


async def snapshot(conn: asyncpg.Connection[asyncpg.Record]) -> Snapshot:
    """Every schema object of the public schema by kind and name, with its definition."""
    return {
        kind: {r[0]: r[1] for r in await conn.fetch(sql)} for kind, sql in SNAPSHOT_QUERIES.items()
    }


async def snapshot_of(dsn: str) -> Snapshot:
    conn = await dbutil.connect(dsn)
    try:
        return await snapshot(conn)
    finally:
        await conn.close()


def diff(expected: Snapshot, live: Snapshot) -> list[str]:
    """Readable differences, one line each; empty when the schemas are the same."""
    lines = []
    for kind in SNAPSHOT_QUERIES:
        want, have = expected.get(kind, {}), live.get(kind, {})
        for name in sorted(want.keys() | have.keys()):
            a, b = want.get(name), have.get(name)
            if a == b:
                continue
            if b is None:
                lines.append(f"{kind} {name}: missing from the database (migrations: {a})")
            elif a is None:
                lines.append(f"{kind} {name}: not in the migrations (database: {b})")
            else:
                lines.append(f"{kind} {name}: migrations say {a}; the database has {b}")
    return lines


def _applied_and_pending(dsn: str, schema_dir: Path) -> tuple[str | None, list[str]]:
    """(last applied migration id or None, ids of pending migrations); refuses edits."""
    migrate.refuse_edited(dsn, schema_dir)
    rows = [s for s in migrate.status(dsn, schema_dir) if s.known]
    applied = [s.id for s in rows if s.applied]
    return (applied[-1] if applied else None), [s.id for s in rows if not s.applied]


async def drift(
    dsn: str, schema_dir: Path, *, scratch_prefix: str = dbutil.DEFAULT_SCRATCH_PREFIX
) -> list[str]:
    """The differences between the database at `dsn` and what its migrations produce."""
    last, pending = await asyncio.to_thread(_applied_and_pending, dsn, schema_dir)
    live = await snapshot_of(dsn)
    async with dbutil.scratch_database(dsn, prefix=scratch_prefix) as scratch:
        if last is not None:
            await asyncio.to_thread(migrate.apply, scratch, schema_dir, last)
        expected = await snapshot_of(scratch)
    return [f"migration {p}: pending (not applied)" for p in pending] + diff(expected, live)
