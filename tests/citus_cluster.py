"""A throwaway Citus cluster for the scale-out tests: one coordinator and two workers, each a
throwaway PostgreSQL (`codegen.server`) on a loopback port with
`shared_preload_libraries = 'citus'`, removed afterwards.

Citus keeps its node list per database, so `database()` creates a database of one name on
every node, `CREATE EXTENSION citus` in each, and registers the coordinator and the workers
in the coordinator's copy. Citus itself is a test dependency (`../shared/citus/build.sh`
builds it for the system's PostgreSQL); `installed()` tells whether it is there.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from codegen import dbutil, server

SHARD_COUNT = 8  # Citus's default is 32; fewer shards keep DDL quick on a shared 2-core box
OPTIONS = (
    "-c shared_preload_libraries=citus -c max_prepared_transactions=100 "
    f"-c citus.shard_count={SHARD_COUNT} -c citus.log_remote_commands=off"
)
BUILD = "bash ../shared/citus/build.sh (from the repository root; needs root)"


def installed() -> str | None:
    """None when the system's PostgreSQL has citus.so; else why not (for a skip message)."""
    try:
        binaries = server.find_binaries()
    except server.ServerError as exc:
        return f"no PostgreSQL server binaries: {exc}"
    if binaries.origin != "system":
        return "Citus needs the system's PostgreSQL (CODEGEN_SERVER=embedded has none)"
    libdir = binaries.bindir.parent / "lib"
    if not (libdir / "citus.so").exists():
        return f"Citus is not installed for {binaries.describe()} (no {libdir}/citus.so): {BUILD}"
    return None


def execute(dsn: str, *statements: str) -> None:
    """Run statements one by one in autocommit."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        for sql in statements:
            conn.execute(sql.encode())


def fetch(dsn: str, sql: str) -> list[tuple[object, ...]]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return list(conn.execute(sql.encode()).fetchall())


@dataclass
class CitusCluster:
    coordinator: server.Cluster
    workers: list[server.Cluster]
    databases: list[str] = field(default_factory=list)

    @property
    def nodes(self) -> list[server.Cluster]:
        return [self.coordinator, *self.workers]

    def dsn(self, database: str = "postgres", node: server.Cluster | None = None) -> str:
        return dbutil.dsn_with_database((node or self.coordinator).dsn, database)

    def create_database(self, name: str, through: dict[int, int] | None = None) -> str:
        """A database `name` with Citus on every node, the workers registered; its DSN on
        the coordinator. `through`: a worker's port -> the port it is registered on (a
        proxy in front of it)."""
        for node in self.nodes:
            execute(node.dsn, f'CREATE DATABASE "{name}"')
            execute(self.dsn(name, node), "CREATE EXTENSION citus")
        self.databases.append(name)
        c = self.coordinator
        execute(
            self.dsn(name),
            f"SELECT citus_set_coordinator_host('127.0.0.1', {c.port})",
            *(
                f"SELECT citus_add_node('127.0.0.1', {(through or {}).get(w.port, w.port)})"
                for w in self.workers
            ),
        )
        return self.dsn(name)

    def drop_database(self, name: str) -> None:
        for node in self.nodes:
            with contextlib.suppress(psycopg.Error):
                execute(node.dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self.databases:
            self.databases.remove(name)

    @contextlib.contextmanager
    def database(
        self, prefix: str = "citus_", through: dict[int, int] | None = None
    ) -> Iterator[str]:
        name = f"{prefix}{uuid.uuid4().hex[:12]}"
        try:
            yield self.create_database(name, through)
        finally:
            self.drop_database(name)

    def worker_of(self, port: int) -> server.Cluster:
        return next(w for w in self.workers if w.port == port)

    def remove(self) -> None:
        for node in self.nodes:
            node.remove()


def start(workers: int = 2, options: str = "") -> CitusCluster:
    """Start the coordinator and the workers (each with OPTIONS and `options`); on any
    failure, remove what started."""
    started: list[server.Cluster] = []
    try:
        for _ in range(workers + 1):
            started.append(server.start_cluster(f"{OPTIONS} {options}".strip()))
    except BaseException:
        for node in started:
            node.remove()
        raise
    return CitusCluster(started[0], started[1:])


def node_log(node: server.Cluster) -> str:
    log = Path(node.datadir) / "server.log"
    return log.read_text(errors="replace") if log.exists() else ""
