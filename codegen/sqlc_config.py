"""An sqlc project's `sqlc.yaml` / `sqlc.json` (version 1 or 2, engine postgresql) read
into plain data (`SqlcProject`); `codegen.config` turns it into a Config.

Read when pyproject.toml has no `[tool.codegen]`: a team with a Go sqlc project gets
Python from the same SQL. Taken from the first `sql:` entry with `engine: postgresql`:
`schema` and `queries` (a path or a list of paths, files or folders), `gen.go.rename`
(model names) and `gen.go.overrides` entries that name a Python type (`python_type:
"module:Type"` beside `db_type` or `column`; `go_type` alone is Go's business). The
package is written to `db/` beside the file unless `codegen: {package: ...}` says where
(and rows are Records unless `codegen: {rows: ...}` names another kind);
`codegen: {postgresql: "17"}` names the targeted major (default: the newest supported).
Version 1 (`packages:`, engine postgresql by default, `rename` and `overrides` at the top
or per package) is read as the version 2 entry it stands for.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codegen.errors import CodegenError

SQLC_NAMES = ("sqlc.yaml", "sqlc.yml", "sqlc.json")  # read when [tool.codegen] is missing


@dataclass(frozen=True)
class SqlcProject:
    """What the first postgresql entry of an sqlc file says: its schema and query paths,
    `gen.go.rename`, the overrides that name a Python type, and the `codegen:` mapping
    (checked by the config, which owns its keys)."""

    source: Path  # the file, as the caller named it
    schemas: tuple[Path, ...]
    queries: tuple[Path, ...]
    rename: dict[str, str]
    overrides: dict[str, str]
    options: dict[str, Any]


def find(folder: Path) -> Path | None:
    return next((folder / n for n in SQLC_NAMES if (folder / n).is_file()), None)


def _read(path: Path) -> Any:
    import yaml  # here, not at the top: `check` on a pyproject project never loads it (12 ms)

    text = path.read_text(encoding="utf-8")
    try:
        return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise CodegenError(f"{path.name}:{exc.lineno}: {exc.msg}") from None
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise CodegenError(f"{path.name}:{line}: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise CodegenError(f"{path.name}: {str(exc).splitlines()[0]}") from None


def _paths(path: Path, entry: dict[str, Any], key: str) -> tuple[Path, ...]:
    value = entry.get(key)
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        raise CodegenError(f"{path.name}: sql[].{key} must be a path or a list of paths")
    return tuple(path.parent / v for v in values)


def _overrides(path: Path, go: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in go.get("overrides") or ():
        if not isinstance(item, dict) or "python_type" not in item:
            continue  # a Go type
        key = item.get("column") or item.get("db_type")
        if not isinstance(key, str) or not isinstance(item["python_type"], str):
            raise CodegenError(f"{path.name}: an override needs `db_type` or `column` and a string")
        out[key] = item["python_type"]
    return out


def _v1_entries(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Version 1's `packages` as version 2 `sql` entries."""
    out = []
    for pkg in data.get("packages") or ():
        if not isinstance(pkg, dict):
            continue
        overrides = [*(data.get("overrides") or ()), *(pkg.get("overrides") or ())]
        go = {"rename": data.get("rename") or {}, "overrides": overrides}
        entry = {k: pkg.get(k) for k in ("schema", "queries")}
        out.append({**entry, "engine": pkg.get("engine", "postgresql"), "gen": {"go": go}})
    return out


def load(path: Path) -> SqlcProject:
    data = _read(path)
    version = str(data.get("version")) if isinstance(data, dict) else None
    if not isinstance(data, dict) or version not in ("1", "2"):
        raise CodegenError(f'{path.name}: sqlc configuration version "1" or "2" expected')
    sql = data.get("sql") if version == "2" else _v1_entries(data)
    entries = [e for e in sql or () if isinstance(e, dict)]
    entry = next((e for e in entries if e.get("engine") == "postgresql"), None)
    if entry is None:
        raise CodegenError(f"{path.name}: no sql entry with engine: postgresql")
    schemas = _paths(path, entry, "schema")
    queries = _paths(path, entry, "queries")
    go = (entry.get("gen") or {}).get("go") or {}
    rename = go.get("rename") or {}
    if not isinstance(rename, dict) or not all(isinstance(v, str) for v in rename.values()):
        raise CodegenError(f"{path.name}: gen.go.rename must map names to strings")
    own = data.get("codegen") or {}
    if not isinstance(own, dict):
        raise CodegenError(f"{path.name}: codegen must be a mapping, e.g. codegen: {{package: db}}")
    return SqlcProject(
        source=path,
        schemas=schemas,
        queries=queries,
        rename=dict(rename),
        overrides=_overrides(path, go),
        options=own,
    )
