"""`[tool.codegen]`: an unknown key is an error naming it and the nearest valid key, every key
the README documents is accepted; messages name files relative to the project."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from codegen import config as cfg
from codegen.errors import CodegenError
from tests.conftest import ROOT, run_codegen
from tests.test_verify import make_project


def _load_error(tmp_path: Path, extra: str) -> str:
    with pytest.raises(CodegenError) as err:
        cfg.load(make_project(tmp_path, extra=extra))
    return err.value.message


@pytest.mark.parametrize(
    ("extra", "key", "nearest"),
    [
        ('schemas = "x"\n', "[tool.codegen] schemas", "schema"),
        ("vet_ignores = []\n", "[tool.codegen] vet_ignores", "vet_ignore"),
        (
            '[tool.codegen.overides]\n"numeric" = "builtins:float"\n',
            "[tool.codegen] overides",
            "overrides",
        ),
        (
            '[tool.codegen.migrate]\nlok_timeout = "5s"\n',
            "[tool.codegen.migrate] lok_timeout",
            "lock_timeout",
        ),
    ],
)
def test_an_unknown_key_is_an_error_naming_it_and_the_nearest_key(
    tmp_path: Path, extra: str, key: str, nearest: str
) -> None:
    message = _load_error(tmp_path, extra)
    assert message == f"pyproject.toml: {key}: unknown key (did you mean `{nearest}`?)"


def test_an_unknown_key_with_no_near_one_lists_the_valid_keys(tmp_path: Path) -> None:
    message = _load_error(tmp_path, "frobnicate = 1\n")
    assert message.startswith("pyproject.toml: [tool.codegen] frobnicate: unknown key (valid: ")
    assert all(f"`{k}`" in message for k in cfg.KEYS)


def test_an_unknown_key_fails_the_command_in_one_line(tmp_path: Path) -> None:
    make_project(tmp_path, extra='pakage = "x"\n')
    proc = run_codegen("generate", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        "error: pyproject.toml: [tool.codegen] pakage: unknown key (did you mean `package`?)"
    ]


def _readme_config() -> str:
    """The README's `[tool.codegen]` example with every commented-out setting switched on."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (block,) = [b for b in re.findall(r"```toml\n(.*?)```", readme, re.S) if "[tool.codegen]" in b]
    return re.sub(r"^# (\"?[\w.]+\"? = )", r"\1", block, flags=re.M)


def test_every_key_the_readme_documents_is_accepted(tmp_path: Path) -> None:
    text = _readme_config()
    assert "scratch_prefix = " in text.replace("# scratch", "")  # the commented keys are on
    (tmp_path / "pyproject.toml").write_text(text)
    loaded = cfg.load(tmp_path / "pyproject.toml")
    assert loaded.overrides["numeric"] == "builtins:float"


def test_an_unknown_key_in_sqlc_yaml_s_own_section_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "schema.sql").write_text("CREATE TABLE t (id int);\n")
    (tmp_path / "query.sql").write_text("-- name: T :many\nSELECT id FROM t;\n")
    (tmp_path / "sqlc.yaml").write_text(
        'version: "2"\nsql:\n  - engine: postgresql\n    schema: schema.sql\n'
        "    queries: query.sql\ncodegen:\n  pakage: out\n"
    )
    with pytest.raises(CodegenError) as err:
        cfg.load(tmp_path / "pyproject.toml")
    assert err.value.message == "sqlc.yaml: codegen pakage: unknown key (did you mean `package`?)"


# -- paths in messages ------------------------------------------------------------------


def _stderr(tmp_path: Path, *args: str) -> str:
    """The command's one-line error, run from another folder with an absolute --config."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    config = str(tmp_path / "project" / "pyproject.toml")
    proc = run_codegen(*args, "--config", config, cwd=elsewhere)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert str(tmp_path) not in proc.stderr, proc.stderr
    return proc.stderr.strip()


def test_config_and_layout_errors_name_paths_relative_to_the_project(tmp_path: Path) -> None:
    project = tmp_path / "project"
    make_project(project, extra="docs = 1\n")
    assert _stderr(tmp_path, "generate") == (
        'error: pyproject.toml: [tool.codegen] docs must be a path, e.g. docs = "docs"'
    )
    make_project(tmp_path / "p2")
    (project / "pyproject.toml").write_text(
        (project / "pyproject.toml")
        .read_text()
        .replace("docs = 1", 'schema = "nowhere"')
        .replace('schema = "schema"\n', "")
    )
    assert _stderr(tmp_path, "generate") == "error: schema directory nowhere does not exist"
    (project / "pyproject.toml").write_text(
        (project / "pyproject.toml")
        .read_text()
        .replace('"nowhere"', '"schema"')
        .replace('package = "out/db"', 'package = "../out"')
    )
    assert "must be inside the project" in _stderr(tmp_path, "generate")


def test_sqlc_config_errors_name_the_file_relative_to_the_project(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "sqlc.yaml").write_text('version: "3"\n')
    assert _stderr(tmp_path, "generate") == (
        'error: sqlc.yaml: sqlc configuration version "1" or "2" expected'
    )


def test_migrate_names_a_missing_schema_folder_relative_to_the_project(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.codegen]\nschema = "db/migrations"\n')
    proc = run_codegen("migrate", "sql", "--from-empty", cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stderr.strip() == "error: schema directory not found: db/migrations"


def test_an_os_error_names_the_file_relative_to_the_project(tmp_path: Path) -> None:
    """The package folder cannot be made (a file is in the way): one line, the file named
    as the project sees it, the system's reason."""
    make_project(tmp_path)
    (tmp_path / "out").write_text("in the way\n")
    proc = run_codegen("generate", cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stderr.splitlines() == ["error: out: File exists"]
