"""Output that imports and stays clean, and a package written all or nothing.

Issue 11 item 9 (a queries file that cannot be a module, a package path outside the
project), issue 10 (a long `__init__` import line), issue 14 survivors 2 and 3 (an
internal error is exit 2 without a traceback; failing any write leaves every file as it
was: contents, inode and mode).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from codegen import cli
from tests.conftest import ROOT, run_codegen

GOLDEN = ROOT / "tests" / "golden"
Snapshot = dict[str, tuple[bytes, int, int]]


def copy_golden(dest: Path) -> Path:
    """The golden project (with its generated package) in `dest`; its pyproject.toml."""
    for rel in ("pyproject.toml", "schema", "queries", "expected"):
        src = GOLDEN / rel
        (shutil.copytree if src.is_dir() else shutil.copy)(src, dest / rel)
    return dest / "pyproject.toml"


def snapshot(root: Path) -> Snapshot:
    """Every file under `root`: contents, inode and mode."""
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            st = path.stat()
            out[path.relative_to(root).as_posix()] = (path.read_bytes(), st.st_ino, st.st_mode)
    return out


# -- output that cannot import is refused -----------------------------------------------


def test_queries_file_that_cannot_be_a_module_is_an_error_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    config = copy_golden(tmp_path)
    (tmp_path / "queries" / "2fa.sql").write_text("-- name: CountAll :one\nSELECT 1 AS n;\n")
    before = snapshot(tmp_path)
    result = run_codegen("generate", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "queries/2fa.sql" in result.stderr and "rename the file" in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(tmp_path) == before


def test_package_outside_the_project_is_a_config_error_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    config = copy_golden(project)
    outside = tmp_path / "elsewhere" / "pkg"
    text = config.read_text().replace('package = "expected/golden_db"', f'package = "{outside}"')
    config.write_text(text)
    result = run_codegen("generate", "--config", str(config), cwd=project)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "package" in result.stderr and "inside the project" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "elsewhere").exists()


def test_many_queries_files_keep_the_package_ruff_clean(tmp_path: Path) -> None:
    config = copy_golden(tmp_path)
    for i in range(6):
        sql = f"-- name: CountAuthorsInAFileWithALongName{i} :one\nSELECT count(*) FROM authors;\n"
        (tmp_path / "queries" / f"reporting_queries_number_{i}.sql").write_text(sql)
    assert cli.main(["generate", "--config", str(config)]) == 0
    package = tmp_path / "expected" / "golden_db"
    init = (package / "__init__.py").read_text()
    assert max(len(line) for line in init.splitlines()) <= 100
    settings = str(ROOT / "pyproject.toml")
    for args in (["check"], ["format", "--check"]):
        out = subprocess.run(
            [sys.executable, "-m", "ruff", *args, "--no-cache", "--config", settings, "."],
            cwd=package,
            capture_output=True,
            text=True,
            check=False,
        )
        assert out.returncode == 0, out.stdout + out.stderr


# -- internal errors --------------------------------------------------------------------


@pytest.mark.parametrize("stage", ["parse_file", "analyze", "build", "render_package"])
def test_a_stage_failing_unexpectedly_is_exit_2_in_one_line(
    stage: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from codegen import analyze, catalog, parse, pipeline, render

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"{stage} exploded")

    owner = {"parse_file": parse, "analyze": analyze, "build": catalog, "render_package": render}
    monkeypatch.setattr(owner[stage], stage, boom)
    monkeypatch.delenv("CODEGEN_DEBUG", raising=False)
    # pipeline holds the module objects, so patching the module attribute reaches it
    assert pipeline is not None
    config = copy_golden(tmp_path)
    before = snapshot(tmp_path)
    assert cli.main(["generate", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("internal error: RuntimeError:")
    assert f"{stage} exploded" in err and "Traceback" not in err
    assert snapshot(tmp_path) == before


def test_internal_error_in_a_new_process_has_no_traceback(tmp_path: Path) -> None:
    config = copy_golden(tmp_path)
    # A hook the interpreter runs at start-up makes the renderer raise.
    hook = tmp_path / "sitecustomize.py"
    hook.write_text(
        "import codegen.render as r\n"
        "def boom(*a, **k):\n"
        "    raise RuntimeError('render exploded')\n"
        "r.render_package = boom\n"
    )
    env_path = f"{tmp_path}:{ROOT}"
    result = subprocess.run(
        [sys.executable, "-m", "codegen", "generate", "--config", str(config)],
        cwd=tmp_path,
        env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "internal error: RuntimeError: render exploded" in result.stderr
    assert "Traceback" not in result.stderr
