"""Loading `data/pg<N>/pg_catalog.json` fast: a marshal cache of its rows, keyed by its hash.

The JSON (dumped from a real server by `data/dump_pg_catalog.py`) stays the source of
truth. Parsing its 400 KB on every run cost about a fifth of `generate`'s start-up, so the
rows pgtypes builds from -- plain tuples -- are kept in `data/__pycache__/` as marshal data
named by the JSON's SHA-256: a changed JSON is simply a cache miss. The cache is written
atomically when the directory is writable and ignored when it is not or cannot be read.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import marshal
import os
import tempfile
from pathlib import Path
from typing import Any

TypeRow = tuple[str, str, bool, str, str, str]  # name, category, preferred, elem, array, kind
Names = tuple[str, ...]
FuncRow = tuple[
    str, str, bool, bool, int, bool, str, Names, Names, tuple[tuple[str, str], ...], str
]  # as pgtypes.Func
OperatorRow = tuple[str, str, str, str, str]  # name, left, right, result, volatility
Pair = tuple[str, str]
# version, types, functions, operators, implicit casts, every cast, those calling code
# that is not immutable, and the types whose input/output is not ("i", "o", "io")
Rows = tuple[
    str,
    list[TypeRow],
    list[FuncRow],
    list[OperatorRow],
    list[Pair],
    list[Pair],
    list[Pair],
    dict[str, str],
]

_FORMAT = b"pgdata 5"  # part of the cache key: a new row layout is a new cache file


def func_row(f: dict[str, Any]) -> FuncRow:
    """One dumped function as a row (the fields of `pgtypes.Func`, in order)."""
    return (
        f["name"],
        f["kind"],
        f["set"],
        f["strict"],
        f["defaults"],
        f["variadic"],
        f["ret"],
        tuple(f["args"]),
        tuple(f.get("argnames", ())),
        tuple((n, t) for n, t in f.get("out", ())),
        f.get("volatile", "i"),
    )


def _from_json(raw: dict[str, Any]) -> Rows:
    types: list[TypeRow] = [
        (name, t["category"], t["preferred"], t["elem"], t["array"], t["kind"])
        for name, t in raw["types"].items()
    ]
    funcs: list[FuncRow] = [func_row(f) for f in raw["functions"]]
    ops: list[OperatorRow] = [
        (o["name"], o["left"], o["right"], o["result"], o.get("volatile", "i"))
        for o in raw["operators"]
    ]
    casts = [(s, t) for s, t in raw["implicit_casts"]]
    every = [(s, t) for s, t in raw.get("casts", ())]
    mutable = [(s, t) for s, t in raw.get("mutable_casts", ())]
    io: dict[str, str] = dict(raw.get("mutable_io", {}))
    return raw["server_version"], types, funcs, ops, casts, every, mutable, io


def cache_path(data: Path, content: bytes) -> Path:
    digest = hashlib.sha256(_FORMAT + content).hexdigest()[:32]
    return data.parent / "__pycache__" / f"{data.stem}.{digest}.marshal"


def load(data: Path) -> Rows:
    """The catalog's rows: from the cache when it matches the JSON, else from the JSON
    (and then cached for the next run)."""
    content = data.read_bytes()
    cache = cache_path(data, content)
    with contextlib.suppress(OSError, ValueError, EOFError, TypeError):
        rows: Rows = marshal.loads(cache.read_bytes())
        return rows
    rows = _from_json(json.loads(content))
    with contextlib.suppress(OSError):
        _write(cache, marshal.dumps(rows))
    return rows


def _write(path: Path, blob: bytes) -> None:
    path.parent.mkdir(exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(blob)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
