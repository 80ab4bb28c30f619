"""A parameter's Python name depends on its SQL name only, never on the command: switching
`:exec` to `:execrows` (or any other command) breaks no caller."""

from __future__ import annotations

import importlib
import inspect
import sys
from pathlib import Path

from codegen.commands import Command
from tests.conftest import generated_project

# SQL names that are also names a generated function body uses for itself.
NAMES = ["status", "row", "rows", "value", "param_sets", "params", "conn", "r"]
SCHEMA = "CREATE TABLE t (id int PRIMARY KEY, {});\n".format(
    ", ".join(f"c_{n} text" for n in NAMES)
)


def _statements(command: Command) -> list[str]:
    """Statements `command` takes, each with every name in NAMES as a parameter."""
    where = " AND ".join(f"c_{n} = @{n}" for n in NAMES)
    if command == Command.COPYFROM:
        columns = ", ".join(f"c_{n}" for n in NAMES)
        values = ", ".join(f"@{n}" for n in NAMES)
        return [f"INSERT INTO t ({columns}) VALUES ({values})"]
    if command.returns_rows:  # a one-column result (a value) and a row
        return [f"SELECT id FROM t WHERE {where}", f"SELECT id, c_row FROM t WHERE {where}"]
    return [f"UPDATE t SET id = id + 1 WHERE {where}"]


def _python_names(fn: object, params_class: type | None) -> list[str]:
    """The parameters' Python names: a batch's Params tuple fields, or the keywords (which
    the query's Params TypedDict, when it has one, names the same, in the same order)."""
    signature = inspect.signature(fn)  # type: ignore[arg-type]
    keywords = [p.name for p in signature.parameters.values() if p.kind is p.KEYWORD_ONLY]
    if params_class is None:
        return keywords
    fields = list(params_class.__annotations__)
    if not hasattr(params_class, "_fields"):  # not a batch's tuple: a TypedDict
        assert fields == keywords, (fields, keywords)
    return fields


def test_a_parameter_has_one_python_name_under_every_command(tmp_path: Path) -> None:
    queries = []
    for command in Command:
        for i, sql in enumerate(_statements(command)):
            queries.append(f"-- name: Q{command.name.capitalize()}{i} :{command}\n{sql};\n")
    project = generated_project(tmp_path, SCHEMA, "\n".join(queries), "names")
    sys.path.insert(0, str(project))
    try:
        module = importlib.import_module("names_db.names")
        seen: dict[str, list[str]] = {}
        for command in Command:
            for i in range(len(_statements(command))):
                query = f"Q{command.name.capitalize()}{i}"
                fn = getattr(module, f"q_{command.name.lower()}{i}")
                params = getattr(module, f"{query}Params", None)
                seen[query] = _python_names(fn, params)
    finally:
        sys.path.remove(str(project))
        for name in [m for m in sys.modules if m.startswith("names_db")]:
            del sys.modules[name]
    expected = seen["QExec0"]
    assert len(expected) == len(NAMES)
    assert {q: names for q, names in seen.items() if names != expected} == {}
    # a name is escaped only when Python itself or the call convention needs it
    assert expected == ["status", "row", "rows", "value", "param_sets", "params", "conn_", "r"]
