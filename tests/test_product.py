"""The generator as its own product: the wheel built from this repository installs alone,
scaffolds and generates a project whose package needs only asyncpg, and the shipped
`.pre-commit-hooks.yaml` works under the real pre-commit.

Everything runs from a copy of the repository as a clean clone has it (tracked and new
files, nothing ignored), committed in a git repository of its own: pip builds the wheel
from it and pre-commit clones it at that commit.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import codegen
from codegen import dbutil
from tests.conftest import ROOT

pytestmark = pytest.mark.timeout(600)


def run(*argv: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run a command; its output, or a failed assertion showing it."""
    out = subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        env=env or clean_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert out.returncode == 0, f"{argv}: exit {out.returncode}\n{out.stdout}\n{out.stderr}"
    return out.stdout


def clean_env() -> dict[str, str]:
    """This environment without anything that would let the repository's code be imported."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    return {**env, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def git(*args: str, cwd: Path) -> str:
    who = ["-c", "user.name=test", "-c", "user.email=test@example.com"]
    return run("git", *who, *args, cwd=cwd)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository as a clean clone has it, committed in a repository of its own."""
    files = run("git", "ls-files", "-co", "--exclude-standard", "-z", cwd=ROOT).split("\0")
    repo = tmp_path_factory.mktemp("asyncpg-codegen")
    for rel in filter(None, files):
        if (ROOT / rel).is_file():
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, repo / rel)
    git("init", "-q", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", "the working tree", cwd=repo)
    return repo


@pytest.fixture(scope="module")
def wheel(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", out, ".", cwd=source)
    (found,) = out.glob("*.whl")
    return found


def venv(path: Path, *requirements: str | Path) -> Path:
    """A new virtual environment with only `requirements` (and their dependencies); its bin/."""
    run(sys.executable, "-m", "venv", path, cwd=path.parent)
    run(path / "bin" / "python", "-m", "pip", "install", "-q", *requirements, cwd=path.parent)
    return path / "bin"


def asyncpg_requirement() -> str:
    """The asyncpg range the generator's distribution declares (the generated runtime's)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return str(next(d for d in project["dependencies"] if d.startswith("asyncpg")))


def test_the_wheel_holds_the_generator_and_no_chat_service_code(wheel: Path) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert wheel.name == f"asyncpg_codegen-{codegen.__version__}-py3-none-any.whl"
    assert project["name"] == "asyncpg-codegen"
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names if not n.startswith("asyncpg_codegen-")}
    assert top == {"codegen"}, top
    shipped = {n for n in names if n.startswith("codegen/")}
    in_repo = {  # every file of the package in the repository, data and templates included
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "codegen").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert shipped == in_repo, sorted(in_repo ^ shipped)


GENERATED_USE = """
import asyncio, sys
import asyncpg
from db import items, runtime

async def main(dsn: str) -> None:
    pool = await runtime.create_pool(dsn)  # as the README shows it
    try:
        first = await items.create_item(pool, name="first")
        await items.create_item(pool, name="second")
        got = await items.get_item(pool, id=first.id)
        newest = await items.list_items(pool, max_rows=10)
        print(type(got).__name__, got.name, [i.name for i in newest])
    finally:
        await pool.close()

asyncio.run(main(sys.argv[1]))
"""


def test_installed_alone_it_scaffolds_a_project_whose_package_needs_only_asyncpg(
    wheel: Path, admin_dsn: str, tmp_path: Path
) -> None:
    tool = venv(tmp_path / "tool", wheel)
    version = f"codegen {codegen.__version__}"
    assert run(tool / "codegen", "--version", cwd=tmp_path).strip() == version
    assert run(tool / "python", "-m", "codegen", "--version", cwd=tmp_path).strip() == version
    chat = subprocess.run(
        [tool / "python", "-c", "import chatdb"], capture_output=True, check=False
    )
    assert chat.returncode == 1 and b"No module named 'chatdb'" in chat.stderr

    project = tmp_path / "project"
    project.mkdir()
    said = run(tool / "codegen", "init", cwd=project)
    assert "codegen generate" in said and "codegen migrate apply" in said
    run(tool / "codegen", "generate", cwd=project)
    run(tool / "codegen", "check", cwd=project)
    assert run(tool / "codegen", "vet", cwd=project).strip() == "vet: 0 finding(s)"

    app = venv(tmp_path / "app", asyncpg_requirement())
    frozen = run(app / "python", "-m", "pip", "freeze", "--all", cwd=tmp_path).split()
    assert {line.split("==")[0].lower() for line in frozen} <= {"asyncpg", "pip", "setuptools"}
    with dbutil.scratch_database_sync(admin_dsn, prefix="codegen_product_") as dsn:
        run(tool / "codegen", "migrate", "--dsn", dsn, "apply", cwd=project)
        out = run(app / "python", "-c", GENERATED_USE, dsn, cwd=project)
    assert out.split() == ["Item", "first", "['second',", "'first']"]


# -- pre-commit ------------------------------------------------------------------------


@pytest.fixture
def sample(source: Path, tmp_path: Path) -> Iterator[Path]:
    """A committed project scaffolded by `codegen init`, using this repository's hooks."""
    repo = tmp_path / "sample"
    repo.mkdir()
    env = {**clean_env(), "PYTHONPATH": str(ROOT)}
    run(sys.executable, "-m", "codegen", "init", cwd=repo, env=env)
    run(sys.executable, "-m", "codegen", "generate", cwd=repo, env=env)
    rev = git("rev-parse", "HEAD", cwd=source).strip()
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {source}\n    rev: {rev}\n"
        "    hooks:\n      - id: codegen-check\n      - id: codegen-vet\n"
    )
    git("init", "-q", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", "scaffold", cwd=repo)
    yield repo


def pre_commit(repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**clean_env(), "PRE_COMMIT_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color", "never"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=400,
    )


def test_the_pre_commit_hooks_pass_a_clean_repository_and_fail_a_stale_one(
    sample: Path, tmp_path: Path
) -> None:
    home = tmp_path / "pre-commit-home"
    clean = pre_commit(sample, home)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "codegen check" in clean.stdout and "codegen vet" in clean.stdout
    assert clean.stdout.count("Passed") == 2, clean.stdout

    queries = sample / "queries" / "items.sql"
    queries.write_text(
        queries.read_text() + "\n-- name: CountItems :one\nSELECT count(*) FROM items;\n"
    )
    git("add", "-A", cwd=sample)  # staged, not regenerated
    stale = pre_commit(sample, home)
    assert stale.returncode == 1, stale.stdout + stale.stderr
    assert "generated code is stale" in stale.stdout, stale.stdout
    assert "+async def count_items(" in stale.stdout  # the diff shows what is missing
