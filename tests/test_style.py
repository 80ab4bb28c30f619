"""Generated code follows the user's style: `ruff format --check` and `ruff check` pass on
it under the project's own ruff settings (its `line-length`, else ruff's default), as
found by ruff itself, the real binary from this environment."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from codegen import cli, style
from tests.conftest import ROOT

GOLDEN = ROOT / "tests" / "golden"
RUFF = str(Path(sys.executable).with_name("ruff"))

# (where the setting lives, its text): none (ruff's default), pyproject, ruff.toml
SETTINGS = {
    "default": None,
    "pyproject-79": ("pyproject.toml", "\n[tool.ruff]\nline-length = 79\n"),
    "pyproject-120": ("pyproject.toml", "\n[tool.ruff]\nline-length = 120\n"),
    "ruff.toml-100": ("ruff.toml", "line-length = 100\n"),
    "dot-ruff.toml-79": (".ruff.toml", "line-length = 79\n"),
    "pyproject-200": ("pyproject.toml", "\n[tool.ruff]\nline-length = 200\n"),
}


def _project(tmp_path: Path, setting: tuple[str, str] | None) -> Path:
    """The golden project (every command, embeds, enums, odd names) in `tmp_path`."""
    shutil.copy(GOLDEN / "pyproject.toml", tmp_path / "pyproject.toml")
    for sub in ("schema", "queries"):
        shutil.copytree(GOLDEN / sub, tmp_path / sub)
    if setting is not None:
        name, text = setting
        with (tmp_path / name).open("a") as fh:
            fh.write(text)
    assert cli.main(["generate", "--config", str(tmp_path / "pyproject.toml")]) == 0
    return tmp_path / "expected" / "golden_db"


def _ruff(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [RUFF, *args, "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("name", SETTINGS)
def test_generated_code_is_formatted_and_clean_under_the_project_s_ruff(
    tmp_path: Path, name: str
) -> None:
    package = _project(tmp_path, SETTINGS[name])
    expected = {"default": 88}.get(name) or int(name.rpartition("-")[2])
    assert style.line_length(package) == expected
    shown = _ruff("check", "--show-settings", str(package / "models.py"), cwd=tmp_path)
    assert f"formatter.line_width = {expected}\n" in shown.stdout  # ruff sees the same
    fmt = _ruff("format", "--check", "--diff", ".", cwd=package)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    lint = _ruff("check", ".", cwd=package)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_this_repository_s_line_length_is_the_one_its_generated_code_has() -> None:
    assert style.line_length(ROOT / "src" / "chatdb" / "db") == 100
    assert style.ruff_settings(ROOT / "src")[0] == ROOT / "pyproject.toml"
