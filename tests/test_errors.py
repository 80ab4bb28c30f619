"""Bad input through the real CLI: `file:line:col: error: ...`, the line, a caret; exit 1.

Every case runs `python -m codegen` as a subprocess on a throwaway project, so what is
checked is exactly what a user sees: no traceback, the right spot, nothing half-written.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from codegen import manifest
from tests.conftest import ROOT

SCHEMA = """\
CREATE TABLE authors (
    id   bigserial PRIMARY KEY,
    name text NOT NULL,
    bio  text
);
"""

GOOD_QUERIES = """\
-- name: GetAuthor :one
SELECT * FROM authors WHERE id = @id;

-- name: ListAuthors :many
SELECT id, name FROM authors ORDER BY name;
"""

LOCATION = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+):(?P<col>\d+): error: (?P<msg>.*)$")


@dataclass
class Project:
    root: Path

    @property
    def config(self) -> Path:
        return self.root / "pyproject.toml"

    @property
    def package(self) -> Path:
        return self.root / "src" / "app_db"

    def write(self, rel: str, text: str) -> str:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return text

    def codegen(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("CODEGEN_DEBUG", None)
        return subprocess.run(
            [sys.executable, "-m", "codegen", *args, "--config", str(self.config)],
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


@pytest.fixture
def project(tmp_path: Path) -> Project:
    p = Project(tmp_path)
    p.write(
        "pyproject.toml",
        '[tool.codegen]\nschema = "schema"\nqueries = "queries"\npackage = "src/app_db"\n',
    )
    p.write("schema/0001_authors.sql", SCHEMA)
    p.write("queries/authors.sql", GOOD_QUERIES)
    return p


def assert_error(
    result: subprocess.CompletedProcess[str], path: str, text: str, at: str, message: str
) -> None:
    """One error at the first occurrence of `at` in `text` (the file's contents)."""
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    match = LOCATION.match(lines[0])
    assert match, result.stderr
    offset = text.index(at)
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    assert (match["path"], int(match["line"]), int(match["col"])) == (path, line, col), lines[0]
    assert message in match["msg"], lines[0]
    source_line = text.splitlines()[line - 1].replace("\t", " ")
    assert lines[1] == "    " + source_line
    assert lines[2] == "    " + " " * (col - 1) + "^"


@pytest.mark.parametrize(
    ("queries", "at", "message"),
    [
        pytest.param(
            "-- name: A :one\nSELECT * FROM nope WHERE id = @id;\n",
            "nope",
            'A: relation "nope" does not exist',
            id="unknown-table",
        ),
        pytest.param(
            "-- name: A :many\nSELECT id,\n       nope\nFROM authors;\n",
            "nope",
            'A: column "nope" does not exist',
            id="unknown-column",
        ),
        pytest.param(
            "-- name: A :many\nSELECT a.name FROM authors a WHERE a.bio = sqlc.narg('bio') "
            "AND a.nope = 1;\n",
            "a.nope",
            "column a.nope does not exist",
            id="unknown-column-after-a-rewritten-parameter",
        ),
        pytest.param(
            "-- name: A :many\nSELECT id FROM authors WHERE\tname = = 'x';\n",
            "= 'x'",
            'syntax error at or near "="',
            id="syntax-error-with-a-tab-before-it",
        ),
        pytest.param(
            "-- name: A\nSELECT 1;\n",
            "\n",
            "query A has no command",
            id="missing-command",
        ),
        pytest.param(
            "-- name: A :fetchall\nSELECT 1;\n",
            ":fetchall",
            "unknown command ':fetchall'",
            id="unknown-command",
        ),
        pytest.param(
            "SELECT 1;\n",
            "SELECT",
            "statement has no '-- name: <Name> :<command>' comment",
            id="missing-header",
        ),
        pytest.param(
            "-- name: A :one\nSELECT 1;\n\n-- name: A :many\nSELECT 2;\n",
            "A :many",
            "A: query name used twice (first at queries/bad.sql:1)",
            id="duplicate-name",
        ),
        pytest.param(
            "-- name: Touch :one\nUPDATE authors SET bio = NULL WHERE id = @id;\n",
            "Touch",
            "Touch: :one needs a statement that returns rows",
            id="one-without-rows",
        ),
        pytest.param(
            "-- name: A :one\nSELECT id FROM authors\nWHERE @flag IS NULL;\n",
            "@flag",
            "cannot infer the type of parameter flag",
            id="untypeable-parameter-in-is-null",
        ),
        pytest.param(
            "-- name: A :one\nSELECT @anything AS x FROM authors;\n",
            "@anything",
            "cannot infer the type of parameter anything; add a cast such as @anything::text",
            id="untypeable-parameter",
        ),
        pytest.param(
            "-- name: A :one\nSELECT 'unterminated FROM authors;\n",
            "'unterminated",
            "unterminated quoted string",
            id="unterminated-string",
        ),
    ],
)
def test_bad_query(project: Project, queries: str, at: str, message: str) -> None:
    project.write("queries/bad.sql", queries)
    result = project.codegen("generate")
    assert_error(result, "queries/bad.sql", queries, at, message)
    assert not project.package.exists()


@pytest.mark.parametrize(
    ("migration", "at", "message"),
    [
        pytest.param(
            "ALTER TABLE authors ADD COLUMN age int;\nALTER TABLE nope ADD COLUMN x int;\n",
            "nope",
            'relation "nope" does not exist',
            id="unknown-table",
        ),
        pytest.param(
            "CREATE TABLE t (\n    id int,\n    x nosuchtype\n);\n",
            "nosuchtype",
            'type "nosuchtype" does not exist',
            id="unknown-type",
        ),
        pytest.param(
            "CREATE TABLE t (id int,, x int);\n",
            ", x",
            'syntax error at or near ","',
            id="syntax-error",
        ),
        pytest.param(
            "-- comment first\nCREATE INDEX authors_age ON authors (age);\n",
            "authors (",
            'column "age" named in index does not exist',
            id="index-on-missing-column",
        ),
    ],
)
def test_bad_migration(project: Project, migration: str, at: str, message: str) -> None:
    project.write("schema/0002_bad.sql", migration)
    project.write("schema/0002_bad.rollback.sql", "this is not even SQL")  # never read
    result = project.codegen("generate")
    assert_error(result, "schema/0002_bad.sql", migration, at, message)


def test_all_errors_are_reported_not_just_the_first(project: Project) -> None:
    first = project.write("queries/a.sql", "-- name: A :one\nSELECT nope FROM authors;\n")
    second = project.write("queries/b.sql", "-- name: B :one\nSELECT * FROM missing;\n")
    result = project.codegen("generate")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[0].startswith("queries/a.sql:2:8: error: A:")
    assert lines[1] == "    " + first.splitlines()[1]
    assert lines[3].startswith("queries/b.sql:2:15: error: B:")
    assert lines[4] == "    " + second.splitlines()[1]
    assert lines[-1] == "2 error(s)"


@pytest.mark.parametrize("command", ["check", "describe", "vet"])
def test_other_commands_report_the_same_way(project: Project, command: str) -> None:
    text = project.write("queries/bad.sql", "-- name: A :many\nSELECT nope FROM authors;\n")
    result = project.codegen(command)
    assert_error(result, "queries/bad.sql", text, "nope", 'column "nope" does not exist')


def test_config_errors_have_no_traceback(project: Project) -> None:
    project.write("pyproject.toml", "[tool.other]\nx = 1\n")
    result = project.codegen("generate")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == (  # named relative to the project, as every message
        "error: pyproject.toml: no [tool.codegen] section (and no sqlc.yaml)"
    )

    project.write("pyproject.toml", '[tool.codegen]\nschema = "schema"\n')
    result = project.codegen("generate")
    assert result.returncode == 1
    assert 'needs `queries = "..."`' in result.stderr

    project.write(
        "pyproject.toml",
        '[tool.codegen]\nschema = "nowhere"\nqueries = "queries"\npackage = "out"\n',
    )
    result = project.codegen("generate")
    assert result.returncode == 1
    assert "schema directory" in result.stderr and "does not exist" in result.stderr


def test_a_file_that_is_not_utf8(project: Project) -> None:
    (project.root / "queries" / "latin1.sql").write_bytes(
        b"-- name: Caf\xe9 :one\nSELECT 1 AS n;\n"
    )
    result = project.codegen("generate")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[0] == (
        "error: queries/latin1.sql: not UTF-8 text (byte 12: invalid continuation byte)"
    )


def test_missing_config_file(tmp_path: Path) -> None:
    result = Project(tmp_path).codegen("generate")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "pyproject.toml: not found" in result.stderr


def snapshot(directory: Path) -> dict[str, tuple[str, int]]:
    return {
        p.relative_to(directory).as_posix(): (p.read_text(), p.stat().st_mtime_ns)
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def test_failing_generate_leaves_generated_files_untouched(project: Project) -> None:
    ok = project.codegen("generate")
    assert ok.returncode == 0, ok.stderr
    before = snapshot(project.package)
    modules = {"__init__.py", "authors.py", "models.py", "runtime.py"}
    assert set(before) == modules | {manifest.NAME}  # the manifest is left untouched too

    # A new, good query and a broken one: nothing may be written, not even the good part.
    project.write(
        "queries/authors.sql",
        GOOD_QUERIES + "\n-- name: CountAuthors :one\nSELECT count(*) FROM authors;\n",
    )
    project.write("queries/broken.sql", "-- name: Broken :one\nSELECT * FROM nope;\n")
    result = project.codegen("generate")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert snapshot(project.package) == before  # same files, same bytes, not rewritten

    # A broken migration: the same.
    (project.root / "queries/broken.sql").unlink()
    project.write("schema/0002_bad.sql", "ALTER TABLE nope ADD COLUMN x int;\n")
    assert project.codegen("generate").returncode == 1
    assert snapshot(project.package) == before


def test_stale_files_are_removed_only_on_success(project: Project) -> None:
    project.write("queries/extra.sql", "-- name: Extra :one\nSELECT 1 AS one;\n")
    assert project.codegen("generate").returncode == 0
    assert (project.package / "extra.py").exists()
    hand_written = project.write("src/app_db/helpers.py", "X = 1\n")

    (project.root / "queries/extra.sql").unlink()
    project.write("queries/broken.sql", "-- name: Broken :one\nSELECT nope;\n")
    assert project.codegen("generate").returncode == 1
    assert (project.package / "extra.py").exists()

    (project.root / "queries/broken.sql").unlink()
    result = project.codegen("generate")
    assert result.returncode == 0, result.stderr
    assert "1 removed" in result.stdout
    assert not (project.package / "extra.py").exists()
    assert (project.package / "helpers.py").read_text() == hand_written  # not ours: kept
    assert not list(project.package.glob(".*.tmp"))


def test_two_queries_that_become_the_same_function(project: Project) -> None:
    text = project.write(
        "queries/bad.sql",
        "-- name: GetURLs :many\nSELECT name FROM authors;\n\n"
        "-- name: GetUrls :many\nSELECT bio FROM authors;\n",
    )
    result = project.codegen("generate")
    assert_error(
        result,
        "queries/bad.sql",
        text,
        "GetUrls",
        "GetUrls: its function name get_urls is also GetURLs's; rename one",
    )


def test_two_query_files_that_become_the_same_module(project: Project) -> None:
    project.write("queries/a-b.sql", "-- name: One :one\nSELECT 1 AS n;\n")
    project.write("queries/a_b.sql", "-- name: Two :one\nSELECT 2 AS n;\n")
    result = project.codegen("generate")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        "error: queries/a-b.sql and queries/a_b.sql would both become a_b.py; rename one"
    )
    assert not project.package.exists()
