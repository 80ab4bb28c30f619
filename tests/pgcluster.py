"""A PostgreSQL server for the tests: the one in DATABASE_URL, or a throwaway cluster.

Tests must talk to a real server. When DATABASE_URL is unset we start our own
cluster with the machine's initdb/pg_ctl so a fresh machine needs nothing else,
and fault-injection tests can restart or kill it without harming a shared server.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

HOW_TO_GET_ONE = (
    "No PostgreSQL available for the tests. Either set DATABASE_URL "
    "(e.g. postgresql://postgres@127.0.0.1:5432/postgres) or install the PostgreSQL "
    "server binaries (initdb and pg_ctl on PATH or under `pg_config --bindir`; "
    "Debian: apt-get install postgresql)."
)


class NoPostgres(RuntimeError):
    pass


def find_bindir() -> Path | None:
    """Locate initdb/pg_ctl: PATH first, then `pg_config --bindir`, then Debian's layout."""
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).resolve().parent
    candidates: list[Path] = []
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        if out.returncode == 0:
            candidates.append(Path(out.stdout.strip()))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for cand in candidates:
        if (cand / "initdb").exists() and (cand / "pg_ctl").exists():
            return cand
    if initdb:
        return Path(initdb).resolve().parent
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Cluster:
    """A throwaway cluster owned by the test run."""

    bindir: Path
    datadir: Path
    port: int
    options: str = ""  # extra server options, e.g. "-c shared_preload_libraries=..."

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _pg_ctl(self, *args: str) -> None:
        cmd = [str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-w", *args]
        subprocess.run(cmd, check=True, capture_output=True, env=_env())

    def start(self) -> None:
        opts = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.datadir} -c fsync=off "
            f"-c max_connections=200 {self.options}"
        )
        self._pg_ctl("-l", str(self.datadir / "server.log"), "-o", opts, "start")

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("-m", mode, "stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop("immediate")
        shutil.rmtree(self.datadir.parent, ignore_errors=True)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("LC_ALL", "C.UTF-8")
    return env


def start_cluster(options: str = "") -> Cluster:
    bindir = find_bindir()
    if bindir is None:
        raise NoPostgres(HOW_TO_GET_ONE)
    root = Path(tempfile.mkdtemp(prefix="pgtest-"))
    datadir = root / "data"
    run_as: list[str] = []
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # initdb refuses to run as root; hand the directory to an unprivileged user.
        user = _unprivileged_user()
        shutil.chown(root, user=user)
        run_as = ["runuser", "-u", user, "--"]
    cmd = [
        *run_as,
        str(bindir / "initdb"),
        "-D",
        str(datadir),
        "-U",
        "postgres",
        "-A",
        "trust",
        "-E",
        "UTF8",
        "--no-sync",
    ]
    subprocess.run(cmd, check=True, capture_output=True, env=_env())
    cluster = Cluster(bindir=bindir, datadir=datadir, port=free_port(), options=options)
    if run_as:
        cluster = _RootCluster(bindir, datadir, cluster.port, options, run_as=run_as)
    cluster.start()
    return cluster


def _unprivileged_user() -> str:
    for name in ("postgres", "nobody"):
        try:
            import pwd

            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise NoPostgres("running as root and no unprivileged user (postgres/nobody) exists")


@dataclass
class _RootCluster(Cluster):
    run_as: list[str] | None = None

    def _pg_ctl(self, *args: str) -> None:
        cmd = [*(self.run_as or []), str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-w"]
        subprocess.run([*cmd, *args], check=True, capture_output=True, env=_env())
