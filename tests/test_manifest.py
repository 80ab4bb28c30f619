"""`check`'s fast path: the manifest `generate` writes, and that it never passes stale code.

`check` skips the analysis only when the manifest's key (inputs, generator, parser) and
every recorded output hash still hold; these tests change each of those and expect the
full check -- and its failure wherever the output really is stale.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from codegen import cli, manifest
from codegen import config as cfg
from tests.conftest import ROOT, run_codegen
from tests.test_generate import copy_project


@pytest.fixture
def project(tmp_path: Path) -> cfg.Config:
    """This project copied, freshly generated (so its manifest is current)."""
    copy_project(ROOT, tmp_path, "src/chatdb/db", "docs")
    assert run_codegen("generate", cwd=tmp_path).returncode == 0
    return cfg.load(tmp_path / "pyproject.toml")


def check(config: cfg.Config) -> subprocess.CompletedProcess[str]:
    return run_codegen("check", cwd=config.root)


def test_generate_records_every_output_and_is_deterministic(project: cfg.Config) -> None:
    recorded = json.loads(manifest.path(project).read_text())
    written = {p.relative_to(project.root).as_posix() for p in project.package.glob("*.py")}
    assert written <= set(recorded["outputs"])
    assert recorded["key"] == manifest.key(project)
    before = manifest.path(project).read_bytes()
    assert run_codegen("generate", cwd=project.root).returncode == 0
    assert manifest.path(project).read_bytes() == before


def test_an_unchanged_project_is_checked_without_the_analysis(project: cfg.Config) -> None:
    """The fast path imports neither the parser, the templates nor the function catalog."""
    probe = (
        "import sys\nfrom codegen import cli\n"
        f"code = cli.main(['check', '--config', {str(project.root / 'pyproject.toml')!r}])\n"
        "heavy = sorted(m for m in ('pglast', 'jinja2', 'codegen.pgtypes', 'codegen.analyze')"
        " if m in sys.modules)\n"
        "print(code, heavy)\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert run.stdout.splitlines()[-1] == "0 []", run.stdout + run.stderr
    assert manifest.current(project) == len(
        json.loads(manifest.path(project).read_text())["outputs"]
    )


def test_an_edited_query_fails_the_check(project: cfg.Config) -> None:
    queries = sorted(project.queries.glob("*.sql"))[0]
    queries.write_text(queries.read_text() + "\n-- name: AddedHere :one\nSELECT 1 AS added;\n")
    assert manifest.current(project) is None
    result = check(project)
    assert result.returncode == 1 and "+async def added_here(" in result.stdout


def test_a_hand_edited_output_fails_the_check(project: cfg.Config) -> None:
    for name in ("models.py", "runtime.py"):
        module = project.package / name
        original = module.read_text()
        module.write_text(original.replace("return", "return  ", 1))
        assert manifest.current(project) is None
        result = check(project)
        assert result.returncode == 1 and f"--- a/src/chatdb/db/{name}" in result.stdout
        module.write_text(original)
        assert check(project).returncode == 0


def test_a_deleted_or_added_module_fails_the_check(project: cfg.Config) -> None:
    extra = project.package / "leftover.py"
    extra.write_text(manifest.HEADER + "\n")
    assert manifest.current(project) is None
    result = check(project)
    assert (
        result.returncode == 1 and "--- a/src/chatdb/db/leftover.py\n+++ /dev/null" in result.stdout
    )
    extra.unlink()
    (project.package / "models.py").unlink()
    assert manifest.current(project) is None
    assert check(project).returncode == 1


def test_another_generator_means_a_full_check(
    project: cfg.Config, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(manifest, "generator_digest", lambda: "another generator")
    assert manifest.current(project) is None
    config = str(project.root / "pyproject.toml")
    assert cli.main(["check", "--config", config]) == 0  # the full check: still current
    assert "is out of date" in capsys.readouterr().err
    module = project.package / "chats.py"
    module.write_text(module.read_text() + "# by hand\n")
    assert cli.main(["check", "--config", config]) == 1


@pytest.mark.parametrize("content", ["", "{}", "[1]", '{"format": 1, "key": 3, "outputs": []}'])
def test_a_missing_or_broken_manifest_means_a_full_check(project: cfg.Config, content: str) -> None:
    manifest.path(project).write_text(content)
    assert manifest.current(project) is None
    result = check(project)
    assert result.returncode == 0 and "is out of date" in result.stderr


def test_the_committed_manifest_holds_in_a_checkout_elsewhere(tmp_path: Path) -> None:
    """CI checks a fresh clone in another folder: the key must not depend on where the
    project lies, or every CI run would take the full check."""
    here = cfg.load(ROOT / "pyproject.toml")
    copy_project(ROOT, tmp_path / "elsewhere", "src/chatdb/db", "docs")
    there = cfg.load(tmp_path / "elsewhere" / "pyproject.toml")
    assert manifest.key(there) == manifest.key(here)
    assert manifest.current(here) is not None
    assert manifest.current(there) is not None


def test_only_the_codegen_section_of_pyproject_is_an_input(project: cfg.Config) -> None:
    """Another tool's settings (pytest's addopts, ruff's rules) leave the manifest current:
    a change to them once made CI's check of the committed manifest fail. A change to
    `[tool.codegen]` still means a full check."""
    pyproject = project.root / "pyproject.toml"
    original = pyproject.read_text()
    pyproject.write_text(original + '\n[tool.other]\nx = "y"\n')
    assert 'postgresql = "15"' in original
    assert manifest.current(project) is not None
    pyproject.write_text(original.replace('postgresql = "15"', 'postgresql = "16"'))
    assert manifest.current(project) is None


def test_the_generator_digest_is_kept_while_no_file_of_it_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kept in `__pycache__` under each file's name, size and time (as Python keeps its
    bytecode); an edited file means hashing again."""
    import shutil

    generator = tmp_path / "codegen"
    shutil.copytree(manifest._GENERATOR, generator, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(manifest, "_GENERATOR", generator)
    manifest.generator_digest.cache_clear()
    try:
        first = manifest.generator_digest()
        kept = generator / "__pycache__" / "generator-digest.json"
        stored = json.loads(kept.read_text())
        assert stored["digest"] == first
        kept.write_text(json.dumps({**stored, "digest": "kept"}))
        manifest.generator_digest.cache_clear()
        assert manifest.generator_digest() == "kept"  # the stamps hold: not hashed again
        edited = generator / "naming.py"
        edited.write_text(edited.read_text() + "# edited\n")
        manifest.generator_digest.cache_clear()
        assert manifest.generator_digest() not in ("kept", first)
    finally:
        manifest.generator_digest.cache_clear()
