"""Regenerate pg<N>/pg_catalog.json: built-in types, functions (with their arguments'
names), operators and implicit casts of PostgreSQL major N.

Inference must agree with the server, so the facts come from a real PostgreSQL rather
than from a hand-written table. Run against a fresh cluster of each supported major (the
file goes to the folder of the server's major):

    python -m codegen.data.dump_pg_catalog postgresql://postgres@127.0.0.1:5432/postgres

Only objects in pg_catalog are dumped; user objects come from the migrations.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import asyncpg

from codegen import versions

TYPES = """
SELECT t.typname, t.typcategory, t.typispreferred, t.typtype,
       coalesce(e.typname, '') AS elem, coalesce(a.typname, '') AS array
FROM pg_type t
LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A'
LEFT JOIN pg_type a ON a.oid = t.typarray
WHERE {types} AND t.typisdefined
  AND t.typtype IN ('b', 'p', 'r', 'm', 'd')
ORDER BY t.typname
"""

FUNCS = """
SELECT p.proname, p.prokind, p.proretset, p.proisstrict, p.pronargdefaults, p.provolatile,
       p.provariadic <> 0 AS variadic, r.typname AS ret,
       coalesce((SELECT array_agg(t.typname ORDER BY k)
                 FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS a(oid, k)
                 JOIN pg_type t ON t.oid = a.oid), '{}') AS args,
       -- the input arguments' names (for calls by name: make_interval(secs => 1))
       coalesce((SELECT array_agg(coalesce(x.n, '') ORDER BY x.k)
                 FROM unnest(p.proargnames, coalesce(
                          p.proargmodes::text[],
                          array_fill('i'::text, ARRAY[coalesce(cardinality(p.proargnames), 0)])))
                      WITH ORDINALITY AS x(n, m, k)
                 WHERE x.m IN ('i', 'b', 'v')), '{}') AS argnames,
       -- the columns of a function that returns a record of its OUT arguments
       -- (OUT, INOUT, TABLE): pg_partition_tree() gives relid, parentrelid, ...
       CASE WHEN r.typname = 'record' THEN
         coalesce((SELECT array_agg(ARRAY[coalesce(nullif(x.n, ''), 'column' || x.k), t.typname]
                                    ORDER BY x.k)
                   FROM unnest(p.proargnames, p.proallargtypes::oid[], p.proargmodes::text[])
                        WITH ORDINALITY AS x(n, oid, m, k)
                   JOIN pg_type t ON t.oid = x.oid
                   WHERE x.m IN ('o', 'b', 't')), '{}')
       ELSE '{}' END AS outs
FROM pg_proc p JOIN pg_type r ON r.oid = p.prorettype
WHERE {funcs}
  AND p.prokind IN ('f', 'a', 'w')
  AND r.typname NOT IN ('internal', 'trigger', 'event_trigger', 'language_handler',
                        'fdw_handler', 'index_am_handler', 'table_am_handler', 'tsm_handler')
  AND NOT EXISTS (SELECT 1 FROM unnest(p.proargtypes::oid[]) a(oid)
                  JOIN pg_type t ON t.oid = a.oid WHERE t.typname = 'internal')
ORDER BY p.proname, args, ret
"""

OPERATORS = """
SELECT o.oprname, coalesce(l.typname, '') AS lt, coalesce(r.typname, '') AS rt,
       res.typname AS result,
       -- the volatility of the function the operator calls (i: immutable)
       coalesce((SELECT p.provolatile FROM pg_proc p WHERE p.oid = o.oprcode), 'i') AS vol
FROM pg_operator o
LEFT JOIN pg_type l ON l.oid = o.oprleft
LEFT JOIN pg_type r ON r.oid = o.oprright
JOIN pg_type res ON res.oid = o.oprresult
WHERE {operators}
ORDER BY o.oprname, lt, rt
"""

CASTS = """
SELECT s.typname AS source, t.typname AS target
FROM pg_cast c JOIN pg_type s ON s.oid = c.castsource JOIN pg_type t ON t.oid = c.casttarget
WHERE c.castcontext = 'i' AND {casts}
ORDER BY 1, 2
"""


# Every cast (explicit ones too), and whether it calls code that is not IMMUTABLE: its
# function (castmethod f) or, through text (castmethod i), the source's output function or
# the target's input function. For what PostgreSQL requires immutable (a generated
# column's expression, an index's): `created_at::date` on a timestamptz is stable.
ALL_CASTS = """
SELECT s.typname AS source, t.typname AS target,
       coalesce(CASE c.castmethod
                  WHEN 'f' THEN f.provolatile <> 'i'
                  WHEN 'i' THEN o.provolatile <> 'i' OR i.provolatile <> 'i'
                END, false) AS mutable
FROM pg_cast c JOIN pg_type s ON s.oid = c.castsource JOIN pg_type t ON t.oid = c.casttarget
LEFT JOIN pg_proc f ON f.oid = c.castfunc
LEFT JOIN pg_proc o ON o.oid = s.typoutput
LEFT JOIN pg_proc i ON i.oid = t.typinput
ORDER BY 1, 2
"""

# Types whose input (i) or output (o) function is not IMMUTABLE: a conversion through
# text without a pg_cast entry (`x::text`, `'...'::t` of a non-literal) calls them.
MUTABLE_IO = """
SELECT t.typname, (i.provolatile <> 'i') AS mut_in, (o.provolatile <> 'i') AS mut_out
FROM pg_type t JOIN pg_proc i ON i.oid = t.typinput JOIN pg_proc o ON o.oid = t.typoutput
WHERE t.typnamespace = 'pg_catalog'::regnamespace AND t.typisdefined
  AND (i.provolatile <> 'i' OR o.provolatile <> 'i')
ORDER BY 1
"""


# What is dumped: pg_catalog's objects (the built-ins), or an extension's members
BUILTIN = {
    "types": "t.typnamespace = 'pg_catalog'::regnamespace",
    "funcs": "p.pronamespace = 'pg_catalog'::regnamespace",
    "operators": "o.oprnamespace = 'pg_catalog'::regnamespace",
    "casts": "true",
}


def members(column: str, catalog: str) -> str:
    """SQL: `column` is an object of the extension named by $1 (pg_depend type 'e')."""
    return (
        f"{column} IN (SELECT d.objid FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid"
        f" WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'"
        f" AND d.classid = '{catalog}'::regclass AND e.extname = $1)"
    )


EXTENSION = {
    # an extension's types, and the array types PostgreSQL made for them
    "types": f"({members('t.oid', 'pg_type')} OR {members('t.typelem', 'pg_type')})",
    "funcs": members("p.oid", "pg_proc"),
    "operators": members("o.oid", "pg_operator"),
    "casts": members("c.oid", "pg_cast"),
}


async def server_major(conn: asyncpg.Connection[asyncpg.Record]) -> int:
    """The server's major version; one the generator does not support is an error."""
    major = int(await conn.fetchval("SHOW server_version_num")) // 10000
    if major not in versions.SUPPORTED:
        raise SystemExit(f"PostgreSQL {major} is not a supported major {versions.SUPPORTED}")
    return major


def out_dir(major: int) -> Path:
    path = versions.data_dir(major)
    path.mkdir(exist_ok=True)
    return path


async def dump(dsn: str) -> dict[str, Any]:
    conn = await asyncpg.connect(dsn)
    try:
        data = await dump_objects(conn, BUILTIN, out_columns=True)
        data.update(await dump_casts(conn))
        data["server_version"] = await conn.fetchval("SHOW server_version")
    finally:
        await conn.close()
    return data


async def dump_casts(conn: asyncpg.Connection[asyncpg.Record]) -> dict[str, Any]:
    """Every cast, those calling code that is not immutable, and the types whose input or
    output function is not immutable (ALL_CASTS, MUTABLE_IO)."""
    casts = await conn.fetch(ALL_CASTS)
    io = await conn.fetch(MUTABLE_IO)
    return {
        "casts": [[r["source"], r["target"]] for r in casts],
        "mutable_casts": [[r["source"], r["target"]] for r in casts if r["mutable"]],
        "mutable_io": {
            r["typname"]: ("i" if r["mut_in"] else "") + ("o" if r["mut_out"] else "") for r in io
        },
    }


def _where(sql: str, where: dict[str, str]) -> str:
    for key, condition in where.items():
        sql = sql.replace("{" + key + "}", condition)
    return sql


async def dump_objects(
    conn: asyncpg.Connection[asyncpg.Record],
    where: dict[str, str],
    *args: object,
    out_columns: bool = False,
) -> dict[str, Any]:
    """Types, functions, operators and implicit casts that `where` selects; `out_columns`:
    with the OUT columns of the functions that return a record of them."""
    types = {
        r["typname"]: {
            "category": r["typcategory"].decode(),
            "preferred": r["typispreferred"],
            "kind": r["typtype"].decode(),
            "elem": r["elem"],
            "array": r["array"],
        }
        for r in await conn.fetch(_where(TYPES, where), *args)
    }
    funcs = [
        {
            "name": r["proname"],
            "kind": r["prokind"].decode(),
            "set": r["proretset"],
            "strict": r["proisstrict"],
            "defaults": r["pronargdefaults"],
            "variadic": r["variadic"],
            "ret": r["ret"],
            "args": list(r["args"]),
            **({"argnames": list(r["argnames"])} if any(r["argnames"]) else {}),
            **_volatile(r["provolatile"]),
            **({"out": [list(o) for o in r["outs"]]} if out_columns and r["outs"] else {}),
        }
        for r in await conn.fetch(_where(FUNCS, where), *args)
    ]
    ops = [
        {
            "name": r["oprname"],
            "left": r["lt"],
            "right": r["rt"],
            "result": r["result"],
            **_volatile(r["vol"]),
        }
        for r in await conn.fetch(_where(OPERATORS, where), *args)
    ]
    casts = [[r["source"], r["target"]] for r in await conn.fetch(_where(CASTS, where), *args)]
    return {
        "types": types,
        "functions": funcs,
        "operators": ops,
        "implicit_casts": casts,
    }


def _volatile(code: bytes) -> dict[str, str]:
    """provolatile, kept when not immutable: "s" (stable) or "v" (volatile). PostgreSQL
    lets only immutable ones into a generated column's expression or an index's."""
    value = code.decode()
    return {} if value == "i" else {"volatile": value}


def render(data: dict[str, Any]) -> str:
    """One record a line: compact, yet a regenerated file diffs readably."""

    def enc(value: object) -> str:
        return json.dumps(value, sort_keys=True, separators=(",", ":"))

    parts = []
    for key in sorted(data):
        value = data[key]
        if isinstance(value, list):
            body = ",\n".join(enc(v) for v in value)
            parts.append(f"{enc(key)}:[\n{body}\n]")
        elif isinstance(value, dict):
            body = ",\n".join(f"{enc(k)}:{enc(v)}" for k, v in sorted(value.items()))
            parts.append(f"{enc(key)}:{{\n{body}\n}}")
        else:
            parts.append(f"{enc(key)}:{enc(value)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def main() -> None:
    dsn = sys.argv[1] if len(sys.argv) > 1 else "postgresql://postgres@127.0.0.1:5432/postgres"
    data = asyncio.run(dump(dsn))
    out = out_dir(int(data["server_version"].split(".")[0])) / "pg_catalog.json"
    out.write_text(render(data))
    print(f"wrote {out} ({len(data['functions'])} functions, {len(data['operators'])} operators)")


if __name__ == "__main__":
    main()
