"""Regenerate pg<N>/system_relations.json: the columns of pg_catalog's and information_schema's
tables and views, so queries may read them (`SELECT relname FROM pg_catalog.pg_class`).

Like `dump_pg_catalog`, the facts come from a real server:

    python -m codegen.data.dump_system_relations postgresql://postgres@127.0.0.1:5432/postgres

A column is NOT NULL when pg_attribute says so (views' columns never are); a domain
column has its base type, as the server reports it.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import asyncpg

from codegen.data.dump_pg_catalog import out_dir, render, server_major

COLUMNS = """
SELECT n.nspname || '.' || c.relname AS rel, a.attname, a.attnotnull,
       -- information_schema's domains (sql_identifier, ...) as their base type: what the
       -- server reports for them, and what operators and functions see
       coalesce(b.typname, t.typname) AS typname
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_type b ON t.typtype = 'd' AND b.oid = t.typbasetype
WHERE n.nspname IN ('pg_catalog', 'information_schema') AND c.relkind IN ('r', 'v', 'm', 'p')
ORDER BY rel, a.attnum
"""

PRIMARY_KEYS = """
SELECT n.nspname || '.' || c.relname AS rel,
       array_agg(a.attname ORDER BY k.ord) AS cols
FROM pg_constraint p
JOIN pg_class c ON c.oid = p.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL unnest(p.conkey) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
WHERE p.contype = 'p' AND n.nspname IN ('pg_catalog', 'information_schema')
GROUP BY rel
ORDER BY rel
"""


async def dump(dsn: str) -> tuple[int, dict[str, Any]]:
    conn = await asyncpg.connect(dsn)
    try:
        major = await server_major(conn)
        version = await conn.fetchval("SHOW server_version")
        relations: dict[str, list[list[object]]] = {}
        for r in await conn.fetch(COLUMNS):
            relations.setdefault(r["rel"], []).append([r["attname"], r["typname"], r["attnotnull"]])
        keys = {r["rel"]: list(r["cols"]) for r in await conn.fetch(PRIMARY_KEYS)}
    finally:
        await conn.close()
    return major, {"server_version": version, "relations": relations, "primary_keys": keys}


def main() -> None:
    dsn = sys.argv[1] if len(sys.argv) > 1 else "postgresql://postgres@127.0.0.1:5432/postgres"
    major, data = asyncio.run(dump(dsn))
    out = out_dir(major) / "system_relations.json"
    out.write_text(render(data))
    print(f"wrote {out} ({len(data['relations'])} relations)")


if __name__ == "__main__":
    main()
