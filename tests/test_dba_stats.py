"""`stats`: pg_stat_statements joined to query names and source lines, on a throwaway
cluster started with `shared_preload_libraries=pg_stat_statements`."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest

from codegen import config as cfg
from codegen import migrate, pipeline
from codegen.dbutil import admin_execute, dsn_with_database, scratch_database
from tests import pgcluster
from tests.conftest import ROOT, run_codegen


@pytest.fixture(scope="module")
def pss_dsn() -> Iterator[str]:
    """A migrated database on a cluster that preloads pg_stat_statements."""
    try:
        cluster = pgcluster.start_cluster("-c shared_preload_libraries=pg_stat_statements")
    except pgcluster.NoPostgres as exc:
        pytest.exit(str(exc), returncode=3)
    try:
        name = f"pss_{uuid.uuid4().hex[:8]}"
        asyncio.run(admin_execute(cluster.dsn, f'CREATE DATABASE "{name}"'))
        dsn = dsn_with_database(cluster.dsn, name)
        migrate.apply(dsn, ROOT / "schema")
        asyncio.run(admin_execute(dsn, "CREATE EXTENSION pg_stat_statements"))
        yield dsn
    finally:
        cluster.remove()


def _lines(stdout: str) -> dict[str, list[str]]:
    rows = {}
    for line in stdout.splitlines()[2:]:
        cells = re.split(r"\s{2,}", line.strip())
        if len(cells) >= 5:
            rows[cells[0]] = cells
    return rows


async def test_stats_names_each_statement_by_comment_or_fingerprint(pss_dsn: str) -> None:
    result = pipeline.compile_project(cfg.load(ROOT / "pyproject.toml"))
    queries = {a.query.name: a for an in result.files.values() for a in an}
    named, plain = queries["GetChatByID"], queries["CountOrphanedChatMessages"]
    conn: Any = await asyncpg.connect(pss_dsn)
    try:
        await conn.execute("SELECT pg_stat_statements_reset()")
        for _ in range(3):  # with the `-- name:` comment every emitted string will carry
            await conn.fetch(  # GetChatByID: by (id, account_id)
                f"-- name: {named.query.name} :one\n{named.query.sql}", uuid.uuid4(), uuid.uuid4()
            )
        for _ in range(5):  # without it: matched by fingerprint
            await conn.fetch(plain.query.sql)
        await conn.execute("SELECT pg_sleep(0.05)")  # not a project query
    finally:
        await conn.close()
    proc = run_codegen("stats", "--dsn", pss_dsn, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    rows = _lines(proc.stdout)
    for a, calls in ((named, 3), (plain, 5)):
        row = rows[a.query.name]
        assert row[1] == f"{a.query.source.path}:{a.query.line}"
        assert row[2] == str(calls)
    assert "(other statements)" in rows
    totals = [float(r[3].replace(",", "")) for r in rows.values()]
    assert totals == sorted(totals, reverse=True)


async def test_stats_without_pg_stat_statements_says_how_to_enable_it(admin_dsn: str) -> None:
    async with scratch_database(admin_dsn) as dsn:
        proc = run_codegen("stats", "--dsn", dsn, cwd=ROOT)
        assert proc.returncode == 1
        assert "shared_preload_libraries = 'pg_stat_statements'" in proc.stderr
        assert "CREATE EXTENSION pg_stat_statements" in proc.stderr
        # installed in the database but not preloaded by the server: the same advice
        await admin_execute(dsn, "CREATE EXTENSION pg_stat_statements")
        proc = run_codegen("stats", "--dsn", dsn, cwd=ROOT)
        assert proc.returncode == 1 and "shared_preload_libraries" in proc.stderr
        assert "Traceback" not in proc.stderr


def test_stats_unreachable_server_is_one_line_exit_1() -> None:
    port = pgcluster.free_port()
    proc = run_codegen("stats", "--dsn", f"postgresql://postgres@127.0.0.1:{port}/x", cwd=ROOT)
    assert proc.returncode == 1
    assert (
        proc.stderr.startswith("error: stats: cannot connect:") and "Traceback" not in proc.stderr
    )
