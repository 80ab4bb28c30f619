"""Fuzzing the generator with mutated query files, schema files and pyproject.toml.

Every run works on a temporary copy of the project (schema/, queries/, the generated
package and a pyproject.toml with the [tool.codegen] keys) and checks the contract of
`python -m codegen generate --config <copy>/pyproject.toml`:

* it never crashes: exit status 0 or 1, never 2 (internal error), and no "Traceback" on
  stderr; a failure says what is wrong on stderr;
* it never writes partial output: on exit 1 the package is byte-for-byte unchanged; on
  exit 0 it is fully regenerated (`codegen check` then finds it current) and every module
  in it compiles; no temporary file is ever left behind, even when writing fails half way
  (disk full);
* regenerated files keep the permissions they had.

Hypothesis drives random mutations (deleted ranges, inserted SQL/sqlc tokens, duplicated
and swapped lines, truncation) in-process for speed; explicit malformed inputs run through
the real command line in a subprocess.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codegen import cli

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path("src/chatdb/db")

TOKENS = [
    "-- name: Fuzz :one\n",
    "-- name: Fuzz :many\n",
    "-- name: GetChatByID :one\n",  # a duplicate name
    "-- name: :one\n",
    "-- name: Fuzz\n",
    ":exec",
    ":execrows",
    ":execresult",
    ":copyfrom",
    ":batchexec",
    ":batchone",
    ":bogus",
    "@id",
    "@",
    "@@",
    "sqlc.arg(x)",
    "sqlc.narg('y')",
    "sqlc.slice('z')",
    "sqlc.arg(",
    "$1",
    "$0",
    "$99999999999",
    "'",
    '"',
    "(",
    ")",
    ";",
    ",",
    "*",
    "::",
    "::uuid",
    "::no_such_type",
    "[]",
    "SELECT",
    "FROM",
    "WHERE",
    "RETURNING *",
    " JOIN chats USING (id)",
    "CREATE TABLE",
    "ALTER TABLE chats DROP COLUMN id;\n",
    "DROP TABLE chats;\n",
    "ALTER TABLE chats RENAME TO chatz;\n",
    "CREATE TYPE mood AS ENUM ('a', 'b');\n",
    "CREATE VIEW v AS SELECT * FROM chats;\n",
    "-- depends: 0001_accounts_users_agents\n",
    "-- depends: 9999_nope\n",
    "\n",
    "/*",
    "*/",
    "$$",
    "E'\\",
    "\ufeff",
    "\u2028",
    "\x00",
    "\t",
    "99999999999999999999",
    "NULL",
    "WITH x AS (",
    " UNION ALL SELECT 1",
    " AS class",
    ' AS "from"',
    ' AS "a b"',
    "ÿ",
    '"""',
    "'''",
    "\\",
]


@dataclass
class Outcome:
    rc: int
    out: str
    err: str


def _generated_tree(project: Path) -> dict[str, tuple[bytes, int]]:
    """Every file in the output package (hidden ones too): content and mode."""
    pkg = project / PACKAGE
    return {
        p.name: (p.read_bytes(), stat.S_IMODE(p.stat().st_mode))
        for p in sorted(pkg.iterdir())
        if p.is_file()
    }


def _run_in_process(project: Path, command: str = "generate") -> Outcome:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = cli.main([command, "--config", str(project / "pyproject.toml")])
    return Outcome(rc, out.getvalue(), err.getvalue())


def _run_cli(project: Path) -> Outcome:
    env = {k: v for k, v in os.environ.items() if k != "CODEGEN_DEBUG"}
    proc = subprocess.run(
        [sys.executable, "-m", "codegen", "generate", "--config", str(project / "pyproject.toml")],
        capture_output=True,
        text=True,
        cwd=project,
        env=env,
        timeout=120,
    )
    return Outcome(proc.returncode, proc.stdout, proc.stderr)


def assert_contract(project: Path, before: dict[str, tuple[bytes, int]], result: Outcome) -> None:
    assert result.rc in (0, 1), f"exit {result.rc}: {result.err}"
    assert "Traceback" not in result.err and "Traceback" not in result.out, result.err
    after = _generated_tree(project)
    leftovers = [name for name in after if name.endswith(".tmp")]
    assert leftovers == [], f"temporary files left behind: {leftovers}"
    if result.rc == 1:
        assert result.err.strip(), "exit 1 without saying why"
        assert after == before, "a failed run changed the output package"
        return
    check = _run_in_process(project, "check")
    assert check.rc == 0, f"generate exited 0 but the package is not current:\n{check.out}"
    for name, (data, _) in after.items():
        if name.endswith(".py"):
            try:
                compile(data, f"{PACKAGE}/{name}", "exec")
            except SyntaxError as exc:
                raise AssertionError(f"generate exited 0 but wrote invalid Python: {exc}") from exc


# --------------------------------------------------------------------------- the project copy


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project whose package is what the current generator writes."""
    root = tmp_path_factory.mktemp("codegen-project")
    shutil.copytree(ROOT / "schema", root / "schema")
    shutil.copytree(ROOT / "queries", root / "queries")
    shutil.copytree(ROOT / PACKAGE, root / PACKAGE)
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    for p in (root / PACKAGE).iterdir():
        p.chmod(0o644)
    first = _run_in_process(root)
    assert first.rc == 0, first.err
    for p in (root / PACKAGE).iterdir():
        p.chmod(0o644)
    return root


@contextlib.contextmanager
def project_copy(pristine: Path, dest: Path) -> Iterator[Path]:
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(pristine, dest)
    try:
        yield dest
    finally:
        shutil.rmtree(dest, ignore_errors=True)


def source_files(project: Path) -> list[Path]:
    queries = sorted((project / "queries").glob("*.sql"))
    schema = sorted(
        p for p in (project / "schema").glob("*.sql") if not p.name.endswith(".rollback.sql")
    )
    return [*queries, *schema, project / "pyproject.toml"]


# --------------------------------------------------------------------------- mutations


@st.composite
def mutation(draw: Any) -> tuple[str, float, float, str]:
    kind = draw(st.sampled_from(["delete", "insert", "insert", "dup_line", "swap", "truncate"]))
    a = draw(st.floats(0, 1))
    b = draw(st.floats(0, 1))
    token = draw(st.one_of(st.sampled_from(TOKENS), st.text(max_size=8)))
    return kind, a, b, token


def mutate(text: str, kind: str, a: float, b: float, token: str) -> str:
    i, j = sorted((int(a * len(text)), int(b * len(text))))
    lines = text.splitlines(keepends=True) or [""]
    x, y = int(a * (len(lines) - 1)), int(b * (len(lines) - 1))
    if kind == "delete":
        return text[:i] + text[j:]
    if kind == "insert":
        return text[:i] + token + text[i:]
    if kind == "dup_line":
        return "".join([*lines[: x + 1], lines[x], *lines[x + 1 :]])
    if kind == "swap":
        lines[x], lines[y] = lines[y], lines[x]
        return "".join(lines)
    return text[:i]


FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(
    which=st.lists(st.integers(0, 1000), min_size=1, max_size=2),
    mutations=st.lists(mutation(), min_size=1, max_size=3),
)
def test_mutated_inputs_never_crash_or_write_partial_output(
    pristine: Path, tmp_path: Path, which: list[int], mutations: list[tuple[str, float, float, str]]
) -> None:
    with project_copy(pristine, tmp_path / "p") as project:
        files = source_files(project)
        for n, w in enumerate(which):
            path = files[w % len(files)]
            text = path.read_text()
            for kind, a, b, token in mutations[n::2] or mutations:
                text = mutate(text, kind, a, b, token)
            path.write_text(text)
        before = _generated_tree(project)
        assert_contract(project, before, _run_in_process(project))


# --------------------------------------------------------------------------- explicit inputs


def _append(rel: str, data: bytes) -> Any:
    def apply(project: Path) -> None:
        path = project / rel
        path.write_bytes(path.read_bytes() + data)

    return apply


def _replace(rel: str, data: bytes) -> Any:
    def apply(project: Path) -> None:
        (project / rel).write_bytes(data)

    return apply


def _new_migration(sql: bytes) -> Any:
    def apply(project: Path) -> None:
        (project / "schema" / "0099_fuzz.sql").write_bytes(
            b"-- depends: 0006_chat_messages_chat_fk\n" + sql
        )
        (project / "schema" / "0099_fuzz.rollback.sql").write_text("SELECT 1;\n")

    return apply


def _queries_dir_is_a_file(project: Path) -> None:
    shutil.rmtree(project / "queries")
    (project / "queries").write_text("")


def _schema_dir_missing(project: Path) -> None:
    shutil.rmtree(project / "schema")


def _query(sql: bytes, name: bytes = b"Fuzz :one") -> Any:
    return _append("queries/chats.sql", b"\n-- name: " + name + b"\n" + sql + b"\n")


BOM = b"\xef\xbb\xbf" + (ROOT / "queries/accounts.sql").read_bytes()
EXPLICIT: dict[str, Any] = {
    "new query": _query(b"SELECT 1 AS x;"),
    "empty queries file": _replace("queries/chats.sql", b""),
    "comments only": _replace("queries/chats.sql", b"-- nothing here\n/* at all */\n"),
    "unterminated string": _query(b"SELECT 'x;"),
    "unterminated comment": _query(b"/* SELECT"),
    "truncated statement": _query(b"SELECT 1 FROM chats WHERE id IN (1,"),
    "NUL byte": _query(b"SELECT 1\x00 AS x;"),
    "BOM": _replace("queries/accounts.sql", BOM),
    "duplicate name": _query(b"SELECT 1;", b"GetChatByID :one"),
    "unknown command": _query(b"SELECT 1;", b"Fuzz :bogus"),
    "unknown table": _query(b"SELECT * FROM nope;"),
    "unknown column": _query(b"SELECT nope FROM chats;"),
    "keyword column": _query(b"SELECT 1 AS class;"),
    "keyword query name": _query(b"SELECT 1 AS x;", b"Class :one"),
    "invalid query name": _query(b"SELECT 1;", b"1st-Query :one"),
    "non-UTF-8 query file": _query(b"SELECT '\xff';"),
    "non-UTF-8 migration": _new_migration(b"CREATE TABLE t (x text DEFAULT 'caf\xe9');\n"),
    "migration syntax error": _new_migration(b"CREATE TABLE (;\n"),
    # the error is at the end of input, on a line after the last one
    "migration cut off in CREATE TABLE": _new_migration(b"CREATE TABLE x (\n"),
    "migration drops a queried table": _new_migration(b"DROP TABLE chat_messages;\n"),
    "migration drops a queried column": _new_migration(b"ALTER TABLE chats DROP COLUMN title;\n"),
    "migration depends on nothing": _replace("schema/0099_x.sql", b"-- depends: 9999_x\n"),
    "queries dir is a file": _queries_dir_is_a_file,
    "schema dir missing": _schema_dir_missing,
    "pyproject without section": _replace("pyproject.toml", b"[tool.other]\nx = 1\n"),
    "pyproject not TOML": _replace("pyproject.toml", b"[tool.codegen\nschema = \n"),
    "pyproject wrong types": _replace(
        "pyproject.toml", b'[tool.codegen]\nschema = 1\nqueries = "queries"\npackage = "p"\n'
    ),
}


@pytest.mark.parametrize("case", list(EXPLICIT))
def test_malformed_input(pristine: Path, tmp_path: Path, case: str) -> None:
    with project_copy(pristine, tmp_path / "p") as project:
        before = _generated_tree(project)
        EXPLICIT[case](project)
        assert_contract(project, before, _run_in_process(project))


@pytest.mark.parametrize(
    "case", ["new query", "unknown table", "truncated statement", "non-UTF-8 query file"]
)
def test_malformed_input_through_the_real_command_line(
    pristine: Path, tmp_path: Path, case: str
) -> None:
    with project_copy(pristine, tmp_path / "p") as project:
        before = _generated_tree(project)
        EXPLICIT[case](project)
        assert_contract(project, before, _run_cli(project))


# --------------------------------------------------------------------------- how it writes


class _DiskFull:
    """A file whose writes fail as on a full disk."""

    def __init__(self, fh: Any) -> None:
        self.fh = fh

    def __enter__(self) -> _DiskFull:
        return self

    def __exit__(self, *exc: object) -> None:
        self.fh.close()

    def write(self, text: str) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_write_failing_half_way_changes_nothing_and_leaves_no_temp_files(
    pristine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with project_copy(pristine, tmp_path / "p") as project:
        EXPLICIT["new query"](project)
        before = _generated_tree(project)
        real_fdopen = os.fdopen
        opened = 0

        def fdopen(fd: int, *args: Any, **kwargs: Any) -> Any:
            nonlocal opened
            opened += 1
            fh = real_fdopen(fd, *args, **kwargs)
            return _DiskFull(fh) if opened == 1 else fh

        monkeypatch.setattr(os, "fdopen", fdopen)
        result = _run_in_process(project)
        monkeypatch.undo()
        assert opened == 1, "the changed module is no longer written through os.fdopen"
        assert result.rc == 1 and "No space left" in result.err
        assert_contract(project, before, result)


def test_regenerated_files_keep_their_permissions(pristine: Path, tmp_path: Path) -> None:
    with project_copy(pristine, tmp_path / "p") as project:
        pkg = project / PACKAGE
        for p in pkg.iterdir():
            p.chmod(0o644)
        EXPLICIT["new query"](project)
        result = _run_in_process(project)
        assert result.rc == 0, result.err
        modes = {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in pkg.iterdir()}
        assert set(modes.values()) == {"0o644"}, modes
