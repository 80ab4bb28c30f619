"""`drift`: does a live database have exactly the schema its migrations produce?

Someone adds an index by hand, a hotfix alters a column, a migration file is edited after
it ran: the generated code is typed against the migrations, so the database must match
them. And the schema is more than its columns: a trigger rewriting rows, a policy hiding
them, a rule swallowing deletes, an UNLOGGED table, a column's collation, an index left
INVALID by a failed concurrent build all change what the service does while its columns
stay the same. We do not re-implement PostgreSQL's DDL semantics to find out: the
migrations the live database has applied are applied to a scratch database on the same
server, and the two catalogs are compared, one query per kind of fact (`SNAPSHOT_QUERIES`:
columns with type, collation, nullability, default and order; constraints, NOT VALID
included; indexes with their validity; enums; sequences; each table's persistence, replica
identity, access method and row level security; policies; rules and triggers with their
enabled state, the internal triggers enforcing foreign keys included; functions; views;
extensions; the database's own settings). Migrations not yet applied and edited migration
files are reported too. The same snapshot proves apply -> rollback -> apply reproduces a
schema (tests/test_migrate.py).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg

from codegen import citus, dbutil, migrate

Snapshot = dict[str, dict[str, str]]  # kind -> object name -> its definition

_NOT_BOOKKEEPING = "NOT LIKE '%yoyo%'"
# c: the pg_class row of a relation of the application's (public, not yoyo's bookkeeping)
_OURS = f"c.relnamespace = 'public'::regnamespace AND c.relname {_NOT_BOOKKEEPING}"
_ENABLED = """CASE {0} WHEN 'O' THEN 'enabled' WHEN 'D' THEN 'DISABLED'
                WHEN 'R' THEN 'ENABLE REPLICA' WHEN 'A' THEN 'ENABLE ALWAYS' END"""
_ONE_LINE = "btrim(regexp_replace({0}, '\\s+', ' ', 'g'), ' ;')"  # a definition, on one line

# One query per kind of fact, each giving (object name, its definition). A definition is
# written so that equal schemas give equal text: PostgreSQL's own pg_get_*def functions,
# defaults left out (a column's collation only when it is not its type's), and nothing that
# differs between two databases built alike (OIDs, internal trigger names).
SNAPSHOT_QUERIES: dict[str, str] = {
    "column": f"""
        SELECT c.relname || '.' || a.attname,
               concat_ws(' ', format_type(a.atttypid, a.atttypmod),
                   CASE WHEN a.attcollation <> t.typcollation
                        THEN 'COLLATE ' || a.attcollation::regcollation::text END,
                   CASE WHEN a.attnotnull THEN 'NOT NULL' ELSE 'NULL' END,
                   'DEFAULT ' || pg_get_expr(d.adbin, d.adrelid),
                   CASE a.attidentity WHEN 'a' THEN 'IDENTITY ALWAYS'
                                      WHEN 'd' THEN 'IDENTITY BY DEFAULT' END,
                   CASE WHEN a.attgenerated = 's' THEN 'GENERATED' END,
                   '(position ' || row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum)
                       || ')')
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_type t ON t.oid = a.atttypid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE {_OURS} AND c.relkind IN ('r', 'p', 'v', 'm')
          AND a.attnum > 0 AND NOT a.attisdropped""",
    "constraint": f"""
        SELECT conrelid::regclass::text || '.' || conname,
               pg_get_constraintdef(oid) || CASE WHEN convalidated THEN '' ELSE ' NOT VALID' END
        FROM pg_constraint
        WHERE connamespace = 'public'::regnamespace AND contype <> 't'
          -- PostgreSQL 18 lists NOT NULL as constraints too: the column says it already
          AND NOT (contype = 'n' AND convalidated)
          AND conrelid::regclass::text {_NOT_BOOKKEEPING}""",
    "index": f"""
        SELECT c.relname || '.' || i.relname, pg_get_indexdef(x.indexrelid)
               || CASE WHEN NOT x.indisvalid THEN ' INVALID' ELSE '' END
               || CASE WHEN NOT x.indisready THEN ' NOT READY' ELSE '' END
               || CASE WHEN NOT x.indisvalid
                       THEN ' (a failed concurrent build: queries do not use it;'
                            || ' drop it and build it again)' ELSE '' END
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_class c ON c.oid = x.indrelid WHERE {_OURS}""",
    "enum": """
        SELECT t.typname, string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)
        FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
        WHERE t.typnamespace = 'public'::regnamespace GROUP BY t.typname""",
    "sequence": f"""
        SELECT sequencename, concat_ws(' ', data_type::text, 'START', start_value,
                                       'INCREMENT', increment_by, 'MAXVALUE', max_value)
        FROM pg_sequences WHERE schemaname = 'public' AND sequencename {_NOT_BOOKKEEPING}""",
    "persistence": f"""
        SELECT c.relname, CASE c.relpersistence WHEN 'p' THEN 'logged' WHEN 'u' THEN 'UNLOGGED'
                                                WHEN 't' THEN 'TEMPORARY' END
        FROM pg_class c WHERE {_OURS} AND c.relkind IN ('r', 'p', 'm', 'S')""",
    "replica identity": f"""
        SELECT c.relname, CASE c.relreplident WHEN 'd' THEN 'DEFAULT' WHEN 'n' THEN 'NOTHING'
               WHEN 'f' THEN 'FULL' WHEN 'i' THEN 'USING INDEX ' || (
                   SELECT string_agg(x.indexrelid::regclass::text, ', ') FROM pg_index x
                   WHERE x.indrelid = c.oid AND x.indisreplident) END
        FROM pg_class c WHERE {_OURS} AND c.relkind IN ('r', 'p')""",
    "access method": f"""
        SELECT c.relname, am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam
        WHERE {_OURS} AND c.relkind IN ('r', 'm')""",
    "row level security": f"""
        SELECT c.relname, CASE WHEN c.relrowsecurity THEN 'ENABLED' ELSE 'disabled' END
               || CASE WHEN c.relforcerowsecurity THEN ', FORCED (the owner too)' ELSE '' END
        FROM pg_class c WHERE {_OURS} AND c.relkind IN ('r', 'p')""",
    "policy": f"""
        SELECT tablename || '.' || policyname,
               concat_ws(' ', permissive, 'FOR', cmd, 'TO', array_to_string(roles, ', '),
                         'USING (' || qual || ')', 'WITH CHECK (' || with_check || ')')
        FROM pg_policies WHERE schemaname = 'public' AND tablename {_NOT_BOOKKEEPING}""",
    "rule": f"""
        SELECT c.relname || '.' || r.rulename,
               {_ONE_LINE.format("pg_get_ruledef(r.oid)")}
               || ' (' || {_ENABLED.format("r.ev_enabled")} || ')'
        FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class
        WHERE {_OURS} AND r.rulename <> '_RETURN'""",
    "trigger": f"""
        SELECT c.relname || '.' || t.tgname,
               pg_get_triggerdef(t.oid) || ' (' || {_ENABLED.format("t.tgenabled")} || ')'
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE {_OURS} AND NOT t.tgisinternal
        UNION ALL
        SELECT c.relname || '.' || k.conname || ' (the constraint''s internal triggers)',
               string_agg(DISTINCT {_ENABLED.format("t.tgenabled")}, ', ')
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        JOIN pg_constraint k ON k.oid = t.tgconstraint
        WHERE {_OURS} AND t.tgisinternal GROUP BY c.relname, k.conname""",
    "function": f"""
        SELECT p.oid::regprocedure::text,
               {_ONE_LINE.format("pg_get_functiondef(p.oid)")}
        FROM pg_proc p
        WHERE p.pronamespace = 'public'::regnamespace AND p.prokind <> 'a'
          AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                          AND d.objid = p.oid AND d.deptype = 'e')""",
    "view": f"""
        SELECT c.relname, {_ONE_LINE.format("pg_get_viewdef(c.oid)")}
        FROM pg_class c WHERE {_OURS} AND c.relkind IN ('v', 'm')
          AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                          AND d.objid = c.oid AND d.deptype = 'e')""",
    "extension": """
        SELECT extname, extversion || ' in schema ' || extnamespace::regnamespace::text
        FROM pg_extension""",
    "database setting": """
        SELECT split_part(cfg, '=', 1) || coalesce(' for role ' || r.rolname, ''),
               substr(cfg, strpos(cfg, '=') + 1)
        FROM pg_db_role_setting s CROSS JOIN unnest(s.setconfig) AS cfg
        LEFT JOIN pg_roles r ON r.oid = s.setrole
        WHERE s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())""",
}


async def snapshot(conn: asyncpg.Connection[asyncpg.Record]) -> Snapshot:
    """Every schema object of the public schema by kind and name, with its definition;
    on a Citus coordinator, not the shards of its tables (they are Citus's)."""
    shards = await citus.shard_names(conn)
    return {
        kind: {
            r[0]: r[1]
            for r in await conn.fetch(sql)
            if r[0].split(" ")[0].split(".")[0] not in shards
        }
        for kind, sql in SNAPSHOT_QUERIES.items()
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
        await _like_live(dsn, scratch)
        if last is not None:
            await asyncio.to_thread(migrate.apply, scratch, schema_dir, last)
        expected = await snapshot_of(scratch)
    return [f"migration {p}: pending (not applied)" for p in pending] + diff(expected, live)


async def _like_live(live: str, scratch: str) -> None:
    """A scratch database for a Citus coordinator is a Citus coordinator too, so that the
    migrations that distribute tables (only where Citus is) replay as they ran live."""
    conn = await dbutil.connect(live)
    try:
        distributed = await citus.installed(conn)
    finally:
        await conn.close()
    if distributed:
        conn = await dbutil.connect(scratch)
        try:
            await citus.make_coordinator(conn, scratch)
        finally:
            await conn.close()
