"""Output that imports and stays clean, and a package written all or nothing.

A queries file that cannot be a module and a package path outside the project are
errors; a long `__init__` import line stays within the line length; an internal error is
exit 2 without a traceback; failing any write leaves every file as it was (contents,
inode and mode).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from codegen import cli
from tests.conftest import ROOT, keep_ruff_line_length, run_codegen

GOLDEN = ROOT / "tests" / "golden"
Snapshot = dict[str, tuple[bytes, int, int]]


def copy_golden(dest: Path) -> Path:
    """The golden project (with its generated package) in `dest`; its pyproject.toml."""
    for rel in ("pyproject.toml", "schema", "queries", "expected"):
        src = GOLDEN / rel
        (shutil.copytree if src.is_dir() else shutil.copy)(src, dest / rel)
    keep_ruff_line_length(GOLDEN, dest)
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


# -- all or nothing ---------------------------------------------------------------------


def _planned(config: Path) -> tuple[dict[Path, str], set[Path]]:
    """What generate would write for the project, and the generated files it would remove."""
    from codegen import config as cfg
    from codegen import pipeline, render

    conf = cfg.load(config)
    files = pipeline.render_project(conf, pipeline.compile_project(conf))
    headed = {
        p for p in conf.package.glob("*.py") if p.read_text().startswith(render.HEADER + "\n")
    }
    return files, headed - set(files)


def _prepared(tmp_path: Path) -> Path:
    """The golden project with every generated file out of date, a stale generated module,
    a hand-placed file, a cache directory, and files of different modes."""
    config = copy_golden(tmp_path)
    package = tmp_path / "expected" / "golden_db"
    for i, path in enumerate(sorted(package.glob("*.py"))):
        path.write_text(path.read_text() + "# out of date\n")
        path.chmod(0o640 if i % 2 else 0o644)
    (package / "gone.py").write_text(
        (package / "models.py").read_text().splitlines()[0] + "\n# a queries file was removed\n"
    )
    (package / "py.typed").write_text("")
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "models.cpython-311.pyc").write_bytes(b"\0cache")
    return config


def test_failing_any_write_leaves_every_file_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from codegen import output

    config = _prepared(tmp_path)
    files, stale = _planned(config)
    assert stale and len(files) >= 6
    real_write, real_exchange = output.write_file, output.exchange
    for position in range(len(files) + 1):  # every file written, then the exchange
        before = snapshot(tmp_path)
        calls = 0

        def failing_write(path: Path, text: str, mode: int, fail_at: int = position) -> None:
            nonlocal calls
            calls += 1
            if calls == fail_at + 1:
                raise OSError(28, "No space left on device")
            real_write(path, text, mode)

        def failing_exchange(a: Path, b: Path) -> None:
            raise OSError(5, "Input/output error")

        monkeypatch.setattr(output, "write_file", failing_write)
        monkeypatch.setattr(output, "exchange", failing_exchange)
        with pytest.raises(OSError):
            output.write_atomically(files, stale)
        assert snapshot(tmp_path) == before, f"failing write {position + 1} changed files"
        assert sorted(p.name for p in tmp_path.rglob("*.new")) == []
    monkeypatch.setattr(output, "write_file", real_write)
    monkeypatch.setattr(output, "exchange", real_exchange)

    before = snapshot(tmp_path)
    output.write_atomically(files, stale)
    after = snapshot(tmp_path)
    package = "expected/golden_db/"
    for path, text in files.items():
        rel = package + path.name
        assert after[rel][0] == text.encode()
        assert after[rel][2] == before[rel][2], f"{rel} lost its mode"
    assert package + "gone.py" not in after
    for rel in (package + "py.typed", package + "__pycache__/models.cpython-311.pyc"):
        assert after[rel] == before[rel], f"{rel} was not kept as it was (inode included)"
    assert sorted(p.name for p in tmp_path.rglob("*.new")) == []


def test_unchanged_files_keep_their_inodes(tmp_path: Path) -> None:
    from codegen import output

    config = copy_golden(tmp_path)
    files, stale = _planned(config)
    before = snapshot(tmp_path)
    output.write_atomically(files, stale)
    assert snapshot(tmp_path) == before


def test_a_new_package_is_created_whole(tmp_path: Path) -> None:
    from codegen import output

    config = copy_golden(tmp_path)
    shutil.rmtree(tmp_path / "expected")
    files, stale = _planned(config)
    output.write_atomically(files, stale)
    written = {p: p.read_text() for p in (tmp_path / "expected" / "golden_db").iterdir()}
    assert written == files


def test_migration_cut_off_after_an_open_parenthesis_points_past_its_last_line(
    tmp_path: Path,
) -> None:
    """The error is at the end of input, a line after the last: it must render, not crash."""
    config = copy_golden(tmp_path)
    (tmp_path / "schema" / "0099_cut.sql").write_text("CREATE TABLE x (\n")
    result = run_codegen("generate", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("schema/0099_cut.sql:2:1: error: syntax error at end of input")
    assert "Traceback" not in result.stderr


# -- named SQL on the server --------------------------------------------------------------


def test_every_emitted_sql_string_starts_with_its_name_comment() -> None:
    """Each module constant is `-- name: X :cmd` and the SQL sent (named in server logs)."""
    import importlib

    from codegen import config as cfg
    from codegen import naming, pipeline

    conf = cfg.load(ROOT / "pyproject.toml")
    result = pipeline.compile_project(conf)
    dotted = conf.package.relative_to(ROOT / "src").as_posix().replace("/", ".")
    seen = 0
    for path, analyses in result.files.items():
        module = importlib.import_module(f"{dotted}.{naming.module_name(path)}")
        for a in analyses:
            const = naming.constant_name(naming.function_name(a.query.name))
            emitted = getattr(module, const)
            assert emitted == f"-- name: {a.query.name} :{a.query.command}\n{a.sql}"
            seen += 1
    assert seen == sum(len(v) for v in result.files.values()) > 0


async def test_the_server_sees_the_query_name(migrated_db: str) -> None:
    """pg_stat_activity shows the name of the query a connection is running."""
    import asyncio
    import uuid

    import asyncpg

    from chatdb.db import accounts

    conn = await asyncpg.connect(migrated_db)
    watcher = await asyncpg.connect(migrated_db)
    try:
        other = await asyncpg.connect(migrated_db)
        try:
            await other.execute("BEGIN")
            await other.execute("LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE")
            task = asyncio.create_task(accounts.get_account_by_id(conn, id=uuid.uuid4()))
            for _ in range(100):
                rows = await watcher.fetch(
                    "SELECT query FROM pg_stat_activity WHERE pid = $1", conn.get_server_pid()
                )
                if rows and rows[0]["query"].startswith("-- name: GetAccountByID :one\n"):
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError(f"pg_stat_activity never showed the name: {rows}")
            await other.execute("ROLLBACK")
            await task
        finally:
            await other.close()
    finally:
        await conn.close()
        await watcher.close()
