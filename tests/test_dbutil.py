"""One DSN/scratch-database helper for every tool, and what both CLIs say when the server
cannot be used: one line naming host, port or database and what to do; exit 1, never the
"internal error" of a bug, never a bare `[Errno 111]`."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from codegen import cli, dbutil, pipeline
from codegen.migrate import cli as migrate_cli
from codegen.migrate import runner
from tests.conftest import ROOT, run_codegen


def test_dsn_with_database_keeps_credentials_and_query_string() -> None:
    dsn = "postgresql://u:p%40ss@db.example:6543/app?sslmode=require&application_name=x#frag"
    assert (
        dbutil.dsn_with_database(dsn, "scratch_1")
        == "postgresql://u:p%40ss@db.example:6543/scratch_1?sslmode=require&application_name=x#frag"
    )
    assert dbutil.database_of(dsn) == "app"
    assert dbutil.server_of(dsn) == "db.example:6543"
    assert dbutil.redact_dsn(dsn) == (
        "postgresql://u:***@db.example:6543/app?sslmode=require&application_name=x#frag"
    )


async def test_scratch_database_uses_the_prefix_keeps_the_query_and_drops(admin_dsn: str) -> None:
    server = admin_dsn + ("&" if "?" in admin_dsn else "?") + "application_name=dbutil_test"
    async with dbutil.scratch_database(server, prefix="my_allowed_") as dsn:
        name = dbutil.database_of(dsn)
        assert name.startswith("my_allowed_") and dsn.endswith("?" + server.split("?")[1])
        conn = await asyncpg.connect(dsn)
        try:
            assert await conn.fetchval("SELECT current_setting('application_name')") == (
                "dbutil_test"
            )
        finally:
            await conn.close()
        with dbutil.scratch_database_sync(admin_dsn, prefix="sync_", template=name) as copy:
            assert dbutil.database_of(copy).startswith("sync_")
    conn = await asyncpg.connect(admin_dsn)
    try:
        left = await conn.fetchval(
            "SELECT count(*) FROM pg_database WHERE datname = ANY($1::text[])",
            [name, dbutil.database_of(copy)],
        )
    finally:
        await conn.close()
    assert left == 0
    with pytest.raises(ValueError, match="lowercase"):
        dbutil.scratch_name("Bad-Prefix")


def _refused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _one_error_line(run: subprocess.CompletedProcess[str]) -> str:
    assert run.returncode == 1, run
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), run.stderr
    return lines[0]


@pytest.mark.parametrize("command", [["verify"], ["drift"], ["migrate", "list"]])
def test_missing_database_and_refused_connection_are_clear_errors(
    admin_dsn: str, command: list[str]
) -> None:
    missing = dbutil.dsn_with_database(admin_dsn, "no_such_database_here")
    line = _one_error_line(run_codegen(*command, "--dsn", missing, cwd=ROOT))
    assert 'database "no_such_database_here" does not exist on ' in line
    assert dbutil.server_of(admin_dsn) in line

    port = _refused_port()
    down = f"postgresql://postgres:hunter2@127.0.0.1:{port}/postgres"
    line = _one_error_line(run_codegen(*command, "--dsn", down, cwd=ROOT))
    assert f"cannot connect to 127.0.0.1:{port}: connection refused" in line
    assert "is PostgreSQL running there" in line
    assert "Errno" not in line and "hunter2" not in line


def test_migrate_help_calls_itself_codegen_migrate() -> None:
    run = run_codegen("migrate", "-h", cwd=ROOT)
    assert run.returncode == 0
    assert run.stdout.startswith("usage: codegen migrate ")
    # The older spelling (in deploy scripts, schema_roles/) is the same command.
    old = subprocess.run(
        [sys.executable, "-m", "codegen.migrate", "-h"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (old.returncode, old.stdout) == (0, run.stdout)


@pytest.mark.parametrize("argv", [["migrate", "apply", "--bogus"], ["generate", "--bogus"]])
def test_usage_errors_are_bad_input_exit_1(argv: list[str]) -> None:
    run = run_codegen(*argv, cwd=ROOT)
    assert run.returncode == 1
    assert run.stderr.strip().splitlines()[-1] == "error: unrecognized arguments: --bogus"


def test_both_clis_report_an_internal_error_the_same_way(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], admin_dsn: str
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug\nover two lines")

    monkeypatch.delenv("CODEGEN_DEBUG", raising=False)
    monkeypatch.setattr(runner, "status", boom)
    monkeypatch.setattr(pipeline, "compile_project", boom)
    expected = (
        "internal error: RuntimeError: a bug over two lines "
        "(set CODEGEN_DEBUG=1 for a traceback, and please report it)"
    )
    for main, argv in [
        (migrate_cli.main, ["--dsn", admin_dsn, "list"]),
        (cli.main, ["generate", "--config", str(ROOT / "pyproject.toml")]),
    ]:
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.strip() == expected and "Traceback" not in err


def test_scratch_prefix_from_flag_and_config(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    admin_dsn: str,
    tmp_path: Path,
) -> None:
    names: list[str] = []
    real = dbutil.scratch_name

    def recording(prefix: str) -> str:
        names.append(prefix)
        return real(prefix)

    monkeypatch.setattr(dbutil, "scratch_name", recording)
    config = tmp_path / "pyproject.toml"
    config.write_text(
        (ROOT / "pyproject.toml")
        .read_text()
        .replace("[tool.codegen]\n", '[tool.codegen]\nscratch_prefix = "from_config_"\n', 1)
        .replace('schema = "schema"', f'schema = "{ROOT / "schema"}"')
        .replace('queries = "queries"', f'queries = "{ROOT / "queries"}"')
        .replace('package = "src/chatdb/db"', f'package = "{tmp_path / "db"}"')
    )
    assert cli.main(["verify", "--dsn", admin_dsn, "--config", str(config)]) == 0
    assert cli.main(
        ["drift", "--dsn", admin_dsn, "--config", str(config), "--scratch-prefix", "from_flag_"]
    ) in (0, 1)
    assert names == ["from_config_", "from_flag_"]
    assert cli.main(["verify", "--dsn", admin_dsn, "--scratch-prefix", "Nope!"]) == 1
    assert "error: --scratch-prefix: scratch database prefix 'Nope!'" in capsys.readouterr().err
