"""The PostgreSQL major a project targets, and what each newer feature needs.

`[tool.codegen] postgresql = "15" | "16" | "17" | "18"` (default: the newest supported).
The catalog of functions, operators, casts, types, system views and extensions is kept per
major in `data/pg<N>/`, each dumped from a real server of that major; the target's is the
one queries are typed with. What a function or operator needs is found in those dumps (the
first major whose dump resolves the call: `overloads.first_major`); syntax that a major
added is listed in `SYNTAX` below. Either way the refusal reads
`<what> needs PostgreSQL N; the project targets M`.
"""

from __future__ import annotations

from pathlib import Path

SUPPORTED = (15, 16, 17, 18)
NEWEST = SUPPORTED[-1]
DATA = Path(__file__).with_name("data")

# Syntax (and statement forms) by the major that added it; the analyzer and the catalog
# replay ask `needs` before they accept one.
SYNTAX = {
    "IS JSON": 16,
    "JSON_OBJECT()": 16,
    "JSON_ARRAY()": 16,
    "JSON_OBJECTAGG()": 16,
    "JSON_ARRAYAGG()": 16,
    "JSON()": 17,
    "JSON_SCALAR()": 17,
    "JSON_SERIALIZE()": 17,
    "JSON_QUERY()": 17,
    "JSON_VALUE()": 17,
    "JSON_EXISTS()": 17,
    "JSON_TABLE": 17,
    "MERGE ... RETURNING": 17,
    "merge_action()": 17,
    "ALTER COLUMN ... SET EXPRESSION": 17,
    "RETURNING old/new": 18,
    "a virtual generated column": 18,
    "WITHOUT OVERLAPS": 18,
    "a PERIOD foreign key": 18,
}


def data_dir(major: int) -> Path:
    """Where the dumps of a major live: `data/pg<N>/`."""
    return DATA / f"pg{major}"


def parse(value: object) -> int | None:
    """A configured `postgresql` value ("17", 17, "17.2") as a supported major, or None."""
    text = str(value).strip()
    head = text.split(".")[0]
    if not head.isdigit() or isinstance(value, bool):
        return None
    major = int(head)
    return major if major in SUPPORTED else None


def message(what: str, major: int, target: int) -> str:
    return f"{what} needs PostgreSQL {major}; the project targets {target}"


def needs(what: str, target: int) -> str | None:
    """The refusal for syntax `what` (a key of SYNTAX) under `target`, or None when the
    target has it."""
    major = SYNTAX[what]
    return message(what, major, target) if target < major else None
