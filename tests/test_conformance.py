"""The conformance suite: real-world PostgreSQL as data, judged by PostgreSQL.

Each `tests/cases/<name>/` holds a schema (`schema.sql` or a `schema/` folder), queries
(`queries.sql` or `queries/`), or an sqlc project (`sqlc.yaml`/`sqlc.json`) or a
`pyproject.toml` with `[tool.codegen]`; and `expected.json`: the `describe` output reduced
to names, commands, parameter and column types and nullability, or
`{"error": "<substring>", "line": N}` for input that must be refused there.

`describe` runs in-process on every case; `verify` loads each accepted case's schema into
a scratch database and PREPAREs its queries, so every expected type is PostgreSQL's.
`UPDATE_CASES=1` rewrites expected.json from describe (review the diff: types are judged
by verify, nullability by running the query).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from codegen import config as cfg
from codegen import pipeline, verify
from codegen.errors import CodegenError, CodegenErrors

CASES = Path(__file__).with_name("cases")
NAMES = sorted(p.name for p in CASES.iterdir() if (p / "expected.json").exists())
REFUSED = {
    n for n in NAMES if isinstance(json.loads((CASES / n / "expected.json").read_text()), dict)
}


def case_config(case: Path) -> cfg.Config:
    """The case's own configuration, or its schema and queries beside expected.json."""
    if (case / "pyproject.toml").exists() or any((case / n).exists() for n in cfg.SQLC_NAMES):
        return cfg.load(case / "pyproject.toml")
    schema = case / "schema" if (case / "schema").is_dir() else case / "schema.sql"
    queries = case / "queries" if (case / "queries").is_dir() else case / "queries.sql"
    return cfg.Config(root=case, schema=schema, queries=queries, package=case / "db")


def describe(case: Path) -> tuple[cfg.Config | None, pipeline.Result | None, Any]:
    """(config, result or None, the reduced describe output or the first error)."""
    config = None
    try:
        config = case_config(case)
        result = pipeline.compile_project(config)
    except (CodegenError, CodegenErrors) as exc:
        err = exc.errors[0] if isinstance(exc, CodegenErrors) else exc
        line = err.location[1] if err.location else 0
        return config, None, {"error": err.message, "line": line}
    queries = [
        {
            "name": a.query.name,
            "command": str(a.query.command),
            "parameters": [
                {"name": p.name, "type": p.type, "nullable": p.nullable} for p in a.params
            ],
            "columns": [
                {"name": c.name, "type": c.type, "nullable": c.nullable} for c in a.columns
            ],
        }
        for analyses in result.files.values()
        for a in analyses
    ]
    return config, result, queries


def _typed(item: Any) -> dict[str, object]:
    return {"name": item.name, "type": item.type, "nullable": item.nullable}


def _matches(expected: Any, actual: Any) -> bool:
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected["error"] in actual["error"] and expected["line"] == actual["line"]
    return bool(expected == actual)


@pytest.mark.parametrize("name", NAMES)
def test_describe(name: str) -> None:
    case = CASES / name
    _, _, actual = describe(case)
    path = case / "expected.json"
    expected = json.loads(path.read_text())
    if os.environ.get("UPDATE_CASES") and not _matches(expected, actual):
        path.write_text(json.dumps(actual, indent=2) + "\n")
        expected = actual
    assert _matches(expected, actual), json.dumps(actual, indent=2)


def test_enough_cases() -> None:
    assert len(NAMES) >= 130, NAMES


@pytest.mark.parametrize("name", [n for n in NAMES if n not in REFUSED])
async def test_verify(name: str, admin_dsn: str) -> None:
    """PostgreSQL agrees: the case's schema loads and every query prepares with exactly the
    parameter and column types described. (Refused cases are judged by describe alone.)"""
    config, result, _ = describe(CASES / name)
    assert config is not None and result is not None
    outcome = await verify.verify(config, result, admin_dsn, scratch_prefix="conformance_")
    assert outcome.ok, [e.render() for e in outcome.rejected] + [m.what for m in outcome.mismatches]
