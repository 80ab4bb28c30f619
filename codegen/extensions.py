"""Contrib extensions: what `CREATE EXTENSION` brings into the type space.

Each extension's types, functions, operators, implicit casts and views were dumped from a
real server into `data/pg<N>/extensions/<name>.json` (`data/dump_extensions.py`); the
catalog records which extensions the schema creates, and a TypeSpace over them sees the
built-ins plus those objects, exactly as PostgreSQL would after the same DDL.

An extension is read from the dump of the target major; one that major's server did not
ship (PostGIS was dumped on 15 only; 17's and 18's builds lack uuid-ossp and xml2, 18's
pgcrypto) is read from the nearest major below that has it, else the nearest above
(`extension_file`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import replace
from functools import cache, partial
from pathlib import Path

from codegen import versions
from codegen.pgtypes import Builtins, Operator, TypeInfo, builtins, func_from_dump

# Extensions whose STRICT functions still return NULL for some non-NULL arguments
# (PostGIS: ST_GeometryN past the last part, ST_X of an empty point, ST_StartPoint of a
# polygon): their results are typed nullable, never NOT NULL where NULL is possible.
NULL_FOR_SOME_VALUES = frozenset({"postgis"})


def extensions_dir(major: int) -> Path:
    """One file per extension dumped from a server of `major` (dump_extensions)."""
    return versions.data_dir(major) / "extensions"


@cache
def extension_names() -> frozenset[str]:
    """The extensions whose objects were dumped: what CREATE EXTENSION can bring in."""
    return frozenset(
        p.stem for major in versions.SUPPORTED for p in extensions_dir(major).glob("*.json")
    )


def extension_file(name: str, major: int = versions.NEWEST) -> Path:
    """The dump of extension `name` for a target `major`: its own, else the nearest major
    below with one, else the nearest above."""
    order = sorted(versions.SUPPORTED, key=lambda m: (m > major, abs(m - major)))
    for m in order:
        path = extensions_dir(m) / f"{name}.json"
        if path.exists():
            return path
    raise KeyError(name)


def extension_requires(name: str, major: int = versions.NEWEST) -> tuple[str, ...]:
    """The extensions `name` needs (CREATE EXTENSION ... CASCADE installs them first)."""
    raw = json.loads(extension_file(name, major).read_text(encoding="utf-8"))
    return tuple(raw.get("requires", ()))


def builtins_with(names: Iterable[str]) -> Callable[[int], Builtins]:
    """What a TypeSpace over a schema that created `names` sees at a major: the built-ins
    plus those extensions."""
    return partial(with_extensions, tuple(sorted(names)))


@cache
def with_extensions(names: tuple[str, ...], major: int = versions.NEWEST) -> Builtins:
    """The built-ins of `major` plus the named extensions' types, functions, operators and
    casts."""
    base = builtins(major)
    if not names:
        return base
    types = dict(base.types)
    funcs = {k: list(v) for k, v in base.functions.items()}
    ops = {k: list(v) for k, v in base.operators.items()}
    casts = set(base.implicit_casts)
    for name in names:
        raw = json.loads(extension_file(name, major).read_text(encoding="utf-8"))
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
                Operator(o["name"], o["left"], o["right"], o["result"], o.get("volatile", "i"))
            )
        casts.update((s, t) for s, t in raw["implicit_casts"])
    return Builtins(
        base.server_version,
        types,
        {k: tuple(v) for k, v in funcs.items()},
        {k: tuple(v) for k, v in ops.items()},
        frozenset(casts),
        base.casts,
        base.mutable_casts,
        base.mutable_io,
    )


@cache
def index_methods(names: tuple[str, ...], major: int) -> dict[str, dict[str, tuple[str, bool]]]:
    """The index access methods the named extensions add (pgvector's hnsw and ivfflat):
    method -> operator class -> (the type it indexes, whether it is the default)."""
    out: dict[str, dict[str, tuple[str, bool]]] = {}
    for name in names:
        raw = json.loads(extension_file(name, major).read_text(encoding="utf-8"))
        for method, classes in raw.get("access_methods", {}).items():
            mine = out.setdefault(method, {})
            mine.update({c: (t, bool(default)) for c, (t, default) in classes.items()})
    return out
