"""Contrib extensions: what `CREATE EXTENSION` brings into the type space.

Each extension's types, functions, operators, implicit casts and views were dumped from a
real server into `data/extensions/<name>.json` (`data/dump_extensions.py`); the catalog
records which extensions the schema creates, and a TypeSpace over them sees the built-ins
plus those objects, exactly as PostgreSQL would after the same DDL.
"""

from __future__ import annotations

import json
from dataclasses import replace
from functools import cache

from codegen.pgtypes import DATA, Builtins, Operator, TypeInfo, builtins, func_from_dump

EXTENSIONS = DATA.parent / "extensions"  # one file per contrib extension (dump_extensions)
# Extensions whose STRICT functions still return NULL for some non-NULL arguments
# (PostGIS: ST_GeometryN past the last part, ST_X of an empty point, ST_StartPoint of a
# polygon): their results are typed nullable, never NOT NULL where NULL is possible.
NULL_FOR_SOME_VALUES = frozenset({"postgis"})


def extension_names() -> frozenset[str]:
    """The extensions whose objects were dumped: what CREATE EXTENSION can bring in."""
    return frozenset(p.stem for p in EXTENSIONS.glob("*.json"))


def extension_requires(name: str) -> tuple[str, ...]:
    """The extensions `name` needs (CREATE EXTENSION ... CASCADE installs them first)."""
    raw = json.loads((EXTENSIONS / f"{name}.json").read_text(encoding="utf-8"))
    return tuple(raw.get("requires", ()))


@cache
def with_extensions(names: tuple[str, ...]) -> Builtins:
    """The built-ins plus the named extensions' types, functions, operators and casts."""
    base = builtins()
    if not names:
        return base
    types = dict(base.types)
    funcs = {k: list(v) for k, v in base.functions.items()}
    ops = {k: list(v) for k, v in base.operators.items()}
    casts = set(base.implicit_casts)
    for name in names:
        raw = json.loads((EXTENSIONS / f"{name}.json").read_text(encoding="utf-8"))
        for tname, t in raw["types"].items():
            types[tname] = TypeInfo(
                tname, t["category"], t["preferred"], t["elem"], t["array"], t["kind"]
            )
        for f in raw["functions"]:
            func = func_from_dump(f)
            if name in NULL_FOR_SOME_VALUES:
                func = replace(func, strict=False)
            funcs.setdefault(f["name"], []).append(func)
        for o in raw["operators"]:
            ops.setdefault(o["name"], []).append(
                Operator(o["name"], o["left"], o["right"], o["result"])
            )
        casts.update((s, t) for s, t in raw["implicit_casts"])
    return Builtins(
        base.server_version,
        types,
        {k: tuple(v) for k, v in funcs.items()},
        {k: tuple(v) for k, v in ops.items()},
        frozenset(casts),
    )
