"""The DBA tools' keys in `[tool.codegen]`: `docs` (where the review catalog goes),
`distribution` (table -> distribution column, checked by `vet`) and `routing` (the file of
Citus's routing of every query, `codegen.dba.routing`).

Read here rather than in `codegen.config` so the core config stays the generator's; a
bad value is an error naming the key, exit 1.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from codegen.catalog import Catalog
from codegen.config import Config
from codegen.errors import CodegenError, shown


@dataclass(frozen=True)
class DbaSettings:
    docs: Path | None = None  # directory of queries.md and schema.md; None: not generated
    distribution: dict[str, str] = field(default_factory=dict)  # table -> distribution column
    routing: Path | None = None  # the recorded Citus routing of every query (dba/routing.py)


def load(config: Config) -> DbaSettings:
    """The keys from `<root>/pyproject.toml` (the file `config` was loaded from)."""
    pyproject = config.root / "pyproject.toml"
    try:
        section = tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["codegen"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return DbaSettings()
    where = shown(pyproject, config.root)
    docs = section.get("docs")
    if docs is not None and not isinstance(docs, str):
        raise CodegenError(f'{where}: [tool.codegen] docs must be a path, e.g. docs = "docs"')
    dist = section.get("distribution", {})
    if not isinstance(dist, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in dist.items()
    ):
        raise CodegenError(
            f"{where}: [tool.codegen] distribution must map table names to column names,"
            ' e.g. distribution = { chats = "account_id" }'
        )
    routing = section.get("routing")
    if routing is not None and not isinstance(routing, str):
        raise CodegenError(
            f'{where}: [tool.codegen] routing must be a path, e.g. routing = "docs/routing.json"'
        )
    return DbaSettings(
        config.root / docs if docs else None,
        dict(dist),
        config.root / routing if routing else None,
    )


def check_distribution(settings: DbaSettings, catalog: Catalog, config: Config) -> None:
    """Every table and column named in `distribution` exists in the migrated schema."""
    where = f"{shown(config.root / 'pyproject.toml', config.root)}: [tool.codegen] distribution"
    for table, column in sorted(settings.distribution.items()):
        t = catalog.tables.get(table)
        if t is None:
            raise CodegenError(f'{where}: table "{table}" does not exist in the schema')
        if column not in {c.name for c in t.columns}:
            raise CodegenError(f'{where}: column "{column}" does not exist in table "{table}"')
