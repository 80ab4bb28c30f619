"""The whole tree passes ruff and mypy --strict: CI enforces what the guide asks for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_ruff_check() -> None:
    out = run("ruff", "check", ".")
    assert out.returncode == 0, out.stdout + out.stderr


def test_ruff_format() -> None:
    out = run("ruff", "format", "--check", ".")
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy_strict() -> None:
    out = run("mypy")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Success" in out.stdout


def _hand_written() -> list[Path]:
    """Python files under codegen/ and src/ that are not generated."""
    files = [*(ROOT / "codegen").rglob("*.py"), *(ROOT / "src").rglob("*.py")]
    return [p for p in sorted(files) if "DO NOT EDIT" not in p.read_text()[:300]]


def test_hand_written_modules_and_functions_stay_small() -> None:
    """No hand-written module over 500 lines, no function over 60."""
    import ast

    too_big = []
    for path in _hand_written():
        text = path.read_text()
        if len(text.splitlines()) > 500:
            too_big.append(f"{path.relative_to(ROOT)}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > 60:
                    too_big.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {length}")
    assert len(_hand_written()) > 20 and too_big == []
