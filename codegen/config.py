"""`[tool.codegen]` in pyproject.toml: where the schema, queries and output live.

Without that section, an sqlc project's `sqlc.yaml` / `sqlc.json` next to it is read
instead (`codegen.sqlc_config`), so a Go sqlc project gets Python from the same SQL.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codegen import sqlc_config, versions
from codegen.errors import CodegenError, shown

SQLC_NAMES = sqlc_config.SQLC_NAMES  # read when [tool.codegen] is missing
# `rows = "..."`: what result rows are. "record": asyncpg Record subclasses the driver
# builds (the fastest; needs asyncpg only); the others are built from the Records, for
# web frameworks: frozen slotted dataclasses, pydantic models, msgspec Structs.
ROWS = ("record", "dataclass", "pydantic", "msgspec")
# `vectors = "..."`: what pgvector's vector and halfvec are. "list": list[float] (asyncpg
# only); "numpy": numpy arrays of float32 / float16 (the `numpy` extra).
VECTORS = ("list", "numpy")

# Every key of `[tool.codegen]`, whoever reads it: a key -> None (a value, or a table of the
# user's own names) or the keys of its sub-table. Anything else is an error naming the key.
KEYS: dict[str, tuple[str, ...] | None] = {
    "schema": None,
    "queries": None,
    "package": None,
    "overrides": None,
    "rename": None,
    "vet_ignore": None,
    "scratch_prefix": None,
    "search_path": None,
    "docs": None,  # codegen.dba.settings
    "distribution": None,  # codegen.dba.settings
    "routing": None,  # codegen.dba.settings: the recorded Citus routing (dba/routing.py)
    "rows": None,  # one of ROWS
    "vectors": None,  # one of VECTORS
    "postgresql": None,  # the targeted major (codegen.versions)
    "migrate": ("lock_timeout", "statement_timeout", "lock_retries"),  # codegen.migrate.cli
}
SQLC_KEYS: dict[str, tuple[str, ...] | None] = {  # sqlc.yaml's `codegen:`
    "package": None,
    "rows": None,
    "vectors": None,
    "postgresql": None,
}


def check_keys(
    table: dict[str, Any], keys: dict[str, tuple[str, ...] | None], where: str, name: str
) -> None:
    """An unknown key in `table` (named `name`, e.g. `[tool.codegen]`) or in one of its
    sub-tables is an error naming it and the nearest valid key (or all of them)."""
    for key, value in table.items():
        if key not in keys:
            near = difflib.get_close_matches(key, list(keys), n=1)
            hint = (
                f"did you mean `{near[0]}`?"
                if near
                else "valid: " + ", ".join(f"`{k}`" for k in keys)
            )
            raise CodegenError(f"{where}: {name} {key}: unknown key ({hint})")
        sub = keys[key]
        if sub is not None and isinstance(value, dict):
            check_keys(value, dict.fromkeys(sub), where, f"{name[:-1]}.{key}]")


@dataclass(frozen=True)
class Config:
    root: Path
    schema: Path
    queries: Path
    package: Path  # output directory; its last part is the import name
    overrides: dict[str, str] = field(default_factory=dict)  # db type or table.column -> "mod:Type"
    rename: dict[str, str] = field(default_factory=dict)  # table -> model class name
    vet_ignore: frozenset[str] = frozenset()  # schema findings to silence, "rule:table.column"
    scratch_prefix: str = "codegen_scratch_"  # name prefix of verify's/drift's scratch database
    # sqlc layouts: every schema / queries file or folder (`schema`/`queries` are the first)
    schemas: tuple[Path, ...] = ()
    query_sources: tuple[Path, ...] = ()
    search_path: tuple[str, ...] = ("public",)  # where unqualified names are looked up
    source: Path | None = None  # the file this config was read from (pyproject or sqlc.yaml)
    rows: str = "record"  # one of ROWS
    vectors: str = "list"  # one of VECTORS
    postgresql: int = versions.NEWEST  # the PostgreSQL major the project targets

    @property
    def schema_paths(self) -> tuple[Path, ...]:
        return self.schemas or (self.schema,)

    @property
    def query_paths(self) -> tuple[Path, ...]:
        return self.query_sources or (self.queries,)


def load(pyproject: Path) -> Config:
    """Read the config; relative paths are relative to pyproject.toml's folder."""
    section = config_section(pyproject)
    where = shown(pyproject, pyproject.resolve().parent)
    if section is None:
        sqlc = sqlc_config.find(pyproject.resolve().parent)
        if sqlc is not None:
            return _from_sqlc(sqlc_config.load(sqlc))
        if not pyproject.exists():
            raise CodegenError(
                f"{pyproject}: not found (run from the project root or pass --config)"
            )
        raise CodegenError(f"{where}: no [tool.codegen] section (and no sqlc.yaml)")
    root = pyproject.resolve().parent
    check_keys(section, KEYS, where, "[tool.codegen]")
    for key in ("schema", "queries", "package"):
        if not isinstance(section.get(key), str):
            raise CodegenError(f'{where}: [tool.codegen] needs `{key} = "..."`')
    overrides = section.get("overrides", {})
    rename = section.get("rename", {})
    for name, table in (("overrides", overrides), ("rename", rename)):
        if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            raise CodegenError(f"{where}: [tool.codegen.{name}] must map names to strings")
    vet_ignore = section.get("vet_ignore", [])
    if not isinstance(vet_ignore, list) or not all(isinstance(v, str) for v in vet_ignore):
        raise CodegenError(f"{where}: [tool.codegen] vet_ignore must be a list of strings")
    package = (root / section["package"]).resolve()
    if not package.is_relative_to(root):
        raise CodegenError(
            f'{where}: [tool.codegen] package = "{section["package"]}" must be inside the '
            "project (the folder of pyproject.toml): the generated package is part of the code"
            " it serves"
        )
    scratch_prefix = section.get("scratch_prefix", "codegen_scratch_")
    if not isinstance(scratch_prefix, str):
        raise CodegenError(f"{where}: [tool.codegen] scratch_prefix must be a string")
    search_path = section.get("search_path", ["public"])
    if not isinstance(search_path, list) or not all(isinstance(v, str) for v in search_path):
        raise CodegenError(f"{where}: [tool.codegen] search_path must be a list of strings")
    return Config(
        rows=rows_option(pyproject, section),
        vectors=choice(pyproject, section, "vectors", VECTORS),
        postgresql=target_version(section, where, "[tool.codegen]"),
        search_path=tuple(search_path),
        root=root,
        schema=root / section["schema"],
        queries=root / section["queries"],
        package=root / section["package"],
        overrides=dict(overrides),
        rename=dict(rename),
        vet_ignore=frozenset(vet_ignore),
        scratch_prefix=scratch_prefix,
        source=pyproject.resolve(),
    )


def _from_sqlc(project: sqlc_config.SqlcProject) -> Config:
    """The Config an sqlc project stands for: the package in `db/` beside the file unless
    its `codegen:` mapping names another (and `rows`, `postgresql` from there too)."""
    own, name = project.options, project.source.name
    check_keys(own, SQLC_KEYS, name, "codegen")
    root = project.source.resolve().parent
    return Config(
        source=project.source.resolve(),
        root=root,
        schema=project.schemas[0],
        queries=project.queries[0],
        package=root / str(own.get("package", "db")),
        rows=rows_option(project.source, own),
        vectors=choice(project.source, own, "vectors", VECTORS),
        postgresql=target_version(own, name, "codegen:"),
        overrides=project.overrides,
        rename=project.rename,
        schemas=project.schemas,
        query_sources=project.queries,
    )


def rows_option(source: Path, section: dict[str, Any]) -> str:
    """`rows = "..."` of a config section (one of ROWS; "record" when absent)."""
    return choice(source, section, "rows", ROWS)


def choice(source: Path, section: dict[str, Any], key: str, allowed: tuple[str, ...]) -> str:
    """`key = "..."` of a config section: one of `allowed` (the first when absent)."""
    value = section.get(key, allowed[0])
    if value not in allowed:
        choices = ", ".join(f'"{r}"' for r in allowed)
        raise CodegenError(f"{shown(source)}: {key} must be one of {choices}")
    return str(value)


def target_version(section: dict[str, Any], where: str, name: str) -> int:
    """`postgresql = "17"`: the major the project targets; the newest supported when not
    given."""
    value = section.get("postgresql", versions.NEWEST)
    major = versions.parse(value)
    if major is None:
        valid = ", ".join(f'"{m}"' for m in versions.SUPPORTED)
        raise CodegenError(f"{where}: {name} postgresql = {value!r}: one of {valid} expected")
    return major


def config_section(pyproject: Path) -> dict[str, Any] | None:
    """`[tool.codegen]`, or None when the file or the section is missing."""
    if not pyproject.exists():
        return None
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CodegenError(f"{shown(pyproject, pyproject.resolve().parent)}: {exc}") from None
    section = data.get("tool", {}).get("codegen")
    return section if isinstance(section, dict) else None
