"""Every built-in type's annotation is what asyncpg really hands back for it.

The generated code promises a Python type per PostgreSQL type (`render/pytypes.py`); the
judge is a real server and the driver: a value of each type is fetched through a
connection with the runtime's codecs, and it must be an instance of the annotation.
"""

from __future__ import annotations

import asyncio
import datetime
import decimal
import ipaddress
import typing
import uuid
import warnings
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from codegen import analyze, catalog
from codegen.config import Config
from codegen.render.imports import Imports
from codegen.render.pytypes import TypeMapper
from tests.conftest import embedded_server_lacks

# a literal of each type (the type is what PostgreSQL says the expression is)
SAMPLES = [
    "true", "1::int2", "1", "1::int8", "1.5::float4", "1.5::float8", "1.5::numeric",
    "'1'::oid", "'5'::xid", "'1'::cid", "'(1,2)'::tid", "'5'::xid8", "'0/16B3748'::pg_lsn",
    "'x'::text", "'x'::varchar", "'x'::bpchar", "'x'::name", "'x'::\"char\"", "12.5::money",
    "'\\x01'::bytea", "gen_random_uuid()", "current_date", "localtime", "current_time",
    "localtimestamp", "now()", "'1 day'::interval", "'{}'::json", "'{}'::jsonb",
    "'1.2.3.4'::inet", "'::1/64'::inet", "'10.0.0.0/8'::cidr", "'08:00:2b:01:02:03'::macaddr",
    "'08:00:2b:01:02:03:04:05'::macaddr8", "B'101'", "B'101'::varbit", "'(1,2)'::point",
    "'((0,0),(1,1))'::box", "'{1,2,3}'::line", "'[(0,0),(1,1)]'::lseg",
    "'((0,0),(1,1))'::path", "'((0,0),(1,1),(1,0))'::polygon", "'<(0,0),1>'::circle",
    "'pg_class'::regclass", "'int4'::regtype", "'a b'::tsvector", "'a & b'::tsquery",
    "'$.a'::jsonpath", "'<a/>'::xml", "pg_current_snapshot()", "txid_current_snapshot()",
    "'[1,5)'::int4range", "'{[1,5)}'::int4multirange", "ARRAY[1, 2]", "ROW(1, 'x')",
]  # fmt: skip

NAMESPACE = {
    "asyncpg": asyncpg, "datetime": datetime, "decimal": decimal, "ipaddress": ipaddress,
    "uuid": uuid, "JSONValue": object,
}  # fmt: skip


def runtime_type(annotation: str) -> Any:
    """The class (or union of classes) isinstance can check for an annotation."""
    hint = eval(annotation, NAMESPACE)  # our own annotation strings
    args = typing.get_args(hint)
    if isinstance(hint, type(int | str)):
        return tuple(typing.get_origin(a) or a for a in args)
    return typing.get_origin(hint) or hint


@pytest.fixture(scope="module")
def values(admin_dsn: str) -> list[tuple[str, str, object]]:
    """(sample, PostgreSQL type, value as the driver decodes it) for every sample."""

    async def fetch() -> list[tuple[str, str, object]]:
        conn = await asyncpg.connect(admin_dsn)
        try:
            await conn.set_type_codec(
                "jsonb", schema="pg_catalog", encoder=str, decoder=str, format="text"
            )
            out = []
            for sample in SAMPLES:
                try:
                    stmt = await conn.prepare(f"SELECT {sample}")
                except asyncpg.PostgresError as exc:
                    if not embedded_server_lacks(exc):
                        raise
                    note = f"{sample} not judged: the embedded server lacks it: {exc}"
                    warnings.warn(note, stacklevel=1)
                    continue
                attr = stmt.get_attributes()[0].type
                name = attr.name if attr.kind != "array" else "_" + attr.name.removesuffix("[]")
                out.append((sample, name, await stmt.fetchval()))
            return out
        finally:
            await conn.close()

    return asyncio.run(fetch())


def test_every_annotation_is_what_the_driver_returns(values: list[tuple[str, str, object]]) -> None:
    cat = catalog.build([], analyze.view_columns)
    here = Path(".")
    mapper = TypeMapper(cat, Config(root=here, schema=here, queries=here, package=here))
    wrong = []
    for sample, pg, value in values:
        annotation = mapper.py(pg, False, Imports())
        if pg in ("json", "jsonb"):
            continue  # decoded by the runtime's own codec, tested with the runtime
        if not isinstance(value, runtime_type(annotation)):
            wrong.append(f"{sample} ({pg}): {annotation}, driver gives {type(value).__name__}")
    assert not wrong, wrong
