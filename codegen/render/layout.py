"""Pre-formatted output: calls laid out as ruff would, SQL and docstrings as literals.

Generated code is committed and checked by ruff, so it is written already formatted; the
templates call `call`, `fits` and `body` (registered as Jinja globals) for that.
"""

from __future__ import annotations

LINE = 100
_BODY = "    "  # a function body's indentation


def call(prefix: str, args: list[str], suffix: str = ")", indent: int = 4) -> list[str]:
    """Lay out `prefix(args)suffix` the way ruff/black would, so output is pre-formatted."""
    lead = prefix[: len(prefix) - len(prefix.lstrip())]
    one = f"{prefix}{', '.join(args)}{suffix}"
    if indent + len(one) <= LINE:
        return [one]
    hug = ", ".join(args)
    if indent + len(lead) + 4 + len(hug) <= LINE:
        return [prefix, f"{lead}    {hug}", lead + suffix]
    return [prefix, *[f"{lead}    {a}," for a in args], lead + suffix]


def fits(line: str) -> bool:
    """Whether `line` fits on one line of a function body."""
    return len(_BODY) + len(line) <= LINE


def body(lines: list[str]) -> str:
    """Lines indented into a function body, without a final newline (the template's)."""
    return "\n".join(_BODY + line if line else "" for line in lines)


def from_import(module: str, names: list[str]) -> str:
    """`from module import a, b`, wrapped one name a line when too long (as ruff does)."""
    line = f"from {module} import {', '.join(names)}"
    if len(line) <= LINE:
        return line
    return "\n".join([f"from {module} import (", *(f"    {n}," for n in names), ")"])


def py_string(text: str) -> str:
    """A literal for SQL text: triple-quoted when that is exact, else repr."""
    if '"""' in text or "\\" in text or text.endswith('"') or "\r" in text:
        return repr(text)
    return '"""\\\n' + text + '"""'


def doc_line(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
