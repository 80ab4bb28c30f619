"""`[tool.codegen]` in pyproject.toml: where the schema, queries and output live."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from codegen.errors import CodegenError


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


def load(pyproject: Path) -> Config:
    """Read the config; relative paths are relative to pyproject.toml's folder."""
    if not pyproject.exists():
        raise CodegenError(f"{pyproject}: not found (run from the project root or pass --config)")
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CodegenError(f"{pyproject}: {exc}") from None
    section = data.get("tool", {}).get("codegen")
    if not isinstance(section, dict):
        raise CodegenError(f"{pyproject}: no [tool.codegen] section")
    root = pyproject.resolve().parent
    for key in ("schema", "queries", "package"):
        if not isinstance(section.get(key), str):
            raise CodegenError(f'{pyproject}: [tool.codegen] needs `{key} = "..."`')
    overrides = section.get("overrides", {})
    rename = section.get("rename", {})
    for name, table in (("overrides", overrides), ("rename", rename)):
        if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            raise CodegenError(f"{pyproject}: [tool.codegen.{name}] must map names to strings")
    vet_ignore = section.get("vet_ignore", [])
    if not isinstance(vet_ignore, list) or not all(isinstance(v, str) for v in vet_ignore):
        raise CodegenError(f"{pyproject}: [tool.codegen] vet_ignore must be a list of strings")
    package = (root / section["package"]).resolve()
    if not package.is_relative_to(root):
        raise CodegenError(
            f'{pyproject}: [tool.codegen] package = "{section["package"]}" must be inside the '
            f"project ({root}): the generated package is part of the code it serves"
        )
    scratch_prefix = section.get("scratch_prefix", "codegen_scratch_")
    if not isinstance(scratch_prefix, str):
        raise CodegenError(f"{pyproject}: [tool.codegen] scratch_prefix must be a string")
    return Config(
        root=root,
        schema=root / section["schema"],
        queries=root / section["queries"],
        package=root / section["package"],
        overrides=dict(overrides),
        rename=dict(rename),
        vet_ignore=frozenset(vet_ignore),
        scratch_prefix=scratch_prefix,
    )
