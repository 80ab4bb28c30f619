"""Fixtures of the scale-out tests (`pytest -m citus`): a throwaway Citus cluster for the
session and a coordinator database with every migration applied. Import them into a test
module by their functions' names (`from tests.citus_fixtures import citus_fixture  #
noqa: F401`); tests take them as `citus`, `citus_migrated`, `citus_db`.

Every test that uses them is marked `citus`; when Citus is not installed for the system's
PostgreSQL they are skipped, saying so and how to install it (`tests.citus_cluster.BUILD`).
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from codegen import migrate
from tests import citus_cluster
from tests.conftest import ROOT, schema_tables


def _skip_unless_installed() -> None:
    why = citus_cluster.installed()
    if why is not None:
        pytest.skip(f"Citus scale-out tests skipped: {why}")


@pytest.fixture(scope="session", name="citus")
def citus_fixture() -> Iterator[citus_cluster.CitusCluster]:
    """A coordinator and two workers, removed at the end of the session."""
    _skip_unless_installed()
    cluster = citus_cluster.start()
    try:
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture(scope="module", name="citus_plaintext")
def citus_plaintext_fixture() -> Iterator[citus_cluster.CitusCluster]:
    """A cluster of its own whose nodes talk to each other without TLS (Citus requires it
    by default), so that a proxy in front of a worker can read the commands sent to it."""
    _skip_unless_installed()
    cluster = citus_cluster.start(options="-c citus.node_conninfo=sslmode=disable")
    try:
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture(scope="session", name="citus_migrated")
def citus_migrated_fixture(citus: citus_cluster.CitusCluster) -> Iterator[str]:
    """The DSN of a coordinator database at the latest migration (`codegen migrate`)."""
    with citus.database("citus_app_") as dsn:
        migrate.apply(dsn, ROOT / "schema")
        yield dsn


def truncate_all(dsn: str) -> None:
    """Every table of the schema emptied (shards and reference copies on every node)."""
    tables = ", ".join(sorted(schema_tables()))
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"TRUNCATE {tables} CASCADE".encode())


@pytest.fixture(name="citus_db")
def citus_db_fixture(citus_migrated: str) -> str:
    """The migrated coordinator database, emptied for this test."""
    truncate_all(citus_migrated)
    return citus_migrated
