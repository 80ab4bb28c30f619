"""`codegen init`: a new project that generates cleanly, beside what a folder already holds,
and never over anything."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from codegen import cli, scaffold
from codegen import config as cfg
from tests.conftest import mypy_strict, run_codegen
from tests.test_generate import tool


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_init_in_an_empty_folder_gives_a_project_that_generates_clean_code(
    tmp_path: Path,
) -> None:
    said = run_codegen("init", cwd=tmp_path)
    assert said.returncode == 0, said.stderr
    written = {line.removeprefix("wrote ") for line in said.stdout.splitlines() if "wrote" in line}
    assert written == {*(p.as_posix() for p in scaffold.FILES), "pyproject.toml"}
    commands = said.stdout.split("next:")[1].split()
    assert commands[:2] == ["codegen", "generate"] and "apply" in commands  # the next two

    config = cfg.load(tmp_path / "pyproject.toml")
    assert config.package == tmp_path / "db"
    for args in (["generate"], ["check"], ["vet"]):
        out = run_codegen(*args, cwd=tmp_path)
        assert out.returncode == 0, out.stdout + out.stderr
    assert {p.name for p in (tmp_path / "db").glob("*.py")} == {
        "__init__.py",
        "runtime.py",
        "models.py",
        "items.py",
    }
    typed = mypy_strict(tmp_path, "db")
    assert typed.returncode == 0, typed.stdout
    lint = tool("ruff", "check", "--no-cache", "--isolated", "db", cwd=tmp_path)
    assert lint.returncode == 0, lint.stdout
    # laid out for a 100-column line (README: exclude it from a formatter set otherwise)
    fmt = ("ruff", "format", "--check", "--no-cache", "--isolated", "--line-length", "100", "db")
    formatted = tool(*fmt, cwd=tmp_path)
    assert formatted.returncode == 0, formatted.stdout


def test_init_adds_its_section_to_an_existing_pyproject_and_keeps_every_byte(
    tmp_path: Path,
) -> None:
    old = '[project]\nname = "my-app"\nversion = "1"\n\n[tool.ruff]\nline-length = 100'
    (tmp_path / "pyproject.toml").write_text(old)
    (tmp_path / "src" / "my_app").mkdir(parents=True)
    (tmp_path / "src" / "my_app" / "__init__.py").write_text("")
    assert cli.main(["init", "--dir", str(tmp_path)]) == 0
    new = (tmp_path / "pyproject.toml").read_text()
    assert new.startswith(old + "\n")
    data = tomllib.loads(new)
    assert data["project"]["name"] == "my-app" and data["tool"]["ruff"] == {"line-length": 100}
    # the generated package goes inside the project's own package
    assert data["tool"]["codegen"]["package"] == "src/my_app/db"
    assert cli.main(["generate", "--config", str(tmp_path / "pyproject.toml")]) == 0
    assert (tmp_path / "src" / "my_app" / "db" / "items.py").is_file()


@pytest.mark.parametrize(
    ("existing", "named"),
    [
        ({"queries/users.sql": "-- name: X :one\nSELECT 1;\n"}, "queries/ already holds .sql"),
        ({"schema/0001_items.sql": "CREATE TABLE t ();\n"}, "schema/ already holds .sql"),
        (
            {"pyproject.toml": '[tool.codegen]\nschema = "db/schema"\n'},
            "already has [tool.codegen]",
        ),
        ({"sqlc.yaml": 'version: "2"\n'}, "sqlc.yaml exists"),
        ({"pyproject.toml": "[project\n"}, "pyproject.toml: "),
    ],
)
def test_init_refuses_to_write_over_a_project_and_writes_nothing(
    tmp_path: Path, existing: dict[str, str], named: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for rel, text in existing.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    before = snapshot(tmp_path)
    for sqlc in ([], ["--sqlc"]):
        assert cli.main(["init", "--dir", str(tmp_path), *sqlc]) == 1
        err = capsys.readouterr().err
        assert named in err, err
        assert snapshot(tmp_path) == before


def test_init_sqlc_writes_an_sqlc_yaml_the_generator_reads(tmp_path: Path) -> None:
    assert cli.main(["init", "--sqlc", "--dir", str(tmp_path)]) == 0
    assert not (tmp_path / "pyproject.toml").exists()
    config = cfg.load(tmp_path / "pyproject.toml")  # no pyproject: sqlc.yaml is read
    assert config.source == tmp_path / "sqlc.yaml" and config.package == tmp_path / "db"
    assert cli.main(["generate", "--config", str(tmp_path / "pyproject.toml")]) == 0
    assert (tmp_path / "db" / "items.py").is_file()


def test_init_sqlc_with_another_package_says_where(tmp_path: Path) -> None:
    assert cli.main(["init", "--sqlc", "--package", "app/db", "--dir", str(tmp_path)]) == 0
    assert cfg.load(tmp_path / "pyproject.toml").package == tmp_path / "app" / "db"


@pytest.mark.parametrize("package", ["/abs/db", "../db", "my-db", "db/1x"])
def test_init_refuses_a_package_that_cannot_be_imported(
    tmp_path: Path, package: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["init", "--package", package, "--dir", str(tmp_path)]) == 1
    assert f"--package {package}" in capsys.readouterr().err
    assert snapshot(tmp_path) == {}
