"""The system relations a query may read: pg_catalog's and information_schema's tables and
views, with the columns a real server reports (`data/system_relations.json`, dumped by
`data/dump_system_relations.py`), and the catalogs' primary keys. They are never models:
no migration creates them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from codegen import versions
from codegen.catalog.model import Column, Table
from codegen.extensions import extension_file

SYSTEM_SCHEMAS = ("pg_catalog", "information_schema")


def relations_file(major: int) -> Path:
    return versions.data_dir(major) / "system_relations.json"


@cache
def _relations(major: int) -> dict[str, Table]:
    data = json.loads(relations_file(major).read_text(encoding="utf-8"))
    keys = data.get("primary_keys", {})
    return {
        key: Table(
            key,
            tuple(Column(n, t, bool(nn)) for n, t, nn in cols),
            primary_key=tuple(keys.get(key, ())),
        )
        for key, cols in data["relations"].items()
    }


@cache
def _extension_relations(extension: str, major: int) -> dict[str, Table]:
    raw = json.loads(extension_file(extension, major).read_text(encoding="utf-8"))
    return {
        key: Table(key, tuple(Column(n, t, bool(nn)) for n, t, nn in cols))
        for key, cols in raw.get("relations", {}).items()
    }


def system_relation(
    schema: str | None,
    name: str,
    extensions: Iterable[str] = (),
    major: int = versions.NEWEST,
) -> Table | None:
    """`pg_catalog.name` or `information_schema.name` as a server of `major` has it;
    unqualified, pg_catalog only (it is searched before the search_path, as PostgreSQL
    does); then the created extensions' views (`pg_stat_statements`, in public)."""
    if schema is None:
        found = _relations(major).get(f"pg_catalog.{name}")
    elif schema in SYSTEM_SCHEMAS:
        return _relations(major).get(f"{schema}.{name}")
    else:
        found = None
    if found is None and schema in (None, "public"):
        found = next(
            (r for e in sorted(extensions) if (r := _extension_relations(e, major).get(name))), None
        )
    return found


def system_table(key: str, extensions: Iterable[str], major: int) -> Table | None:
    """The system relation (or extension's) a scope entry names by its key
    (`pg_catalog.pg_class`, `pg_stat_statements`)."""
    schema, _, name = key.rpartition(".")
    return system_relation(schema or None, name, extensions, major)


def added_after(schema: str | None, name: str, major: int) -> int | None:
    """The first major after `major` whose system relations have `schema.name` (or
    pg_catalog's `name`): pg_stat_checkpointer, which 17 added; None when none has it."""
    newer = (m for m in versions.SUPPORTED if m > major)
    return next((m for m in newer if system_relation(schema, name, (), m)), None)
