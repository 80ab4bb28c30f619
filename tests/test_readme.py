"""The README's example output is what the example really prints."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT


def test_readme_shows_the_demo_output(admin_dsn: str) -> None:
    env = {**os.environ, "DATABASE_URL": admin_dsn, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run(
        [sys.executable, "examples/demo.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "NoDefaultModelConfig (500)" in out.stdout
    readme = (ROOT / "README.md").read_text()
    assert out.stdout.strip() in readme, "README example output is out of date"


def test_readme_starts_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    head = readme[: readme.index("\n## ")]
    assert "pip install -e '.[dev]'" in head and "python -m codegen generate" in head
    assert "python -m codegen check && .venv/bin/python -m pytest" in head
    ci = (ROOT / ".ci" / "run").read_text()
    assert ".venv/bin/python -m codegen check && .venv/bin/python -m pytest" in ci
