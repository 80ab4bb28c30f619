"""The project's migrations on a real Citus cluster (a coordinator and two workers): `codegen
migrate apply` on the coordinator gives the layout docs/scaling.md lists (distributed by
account and co-located, or reference tables), read back from Citus's own catalog; rollbacks
undo it with every row kept; `drift` and the generated `check_schema` accept the
coordinator."""

from __future__ import annotations

import asyncio
import re
import uuid

import psycopg
import pytest

from codegen import drift, migrate
from tests.citus_cluster import CitusCluster, fetch
from tests.citus_fixtures import citus_fixture, citus_migrated_fixture  # noqa: F401
from tests.conftest import ROOT, schema_tables

pytestmark = pytest.mark.citus

ROW = re.compile(r"^\| `(\w+)` \| (distributed|reference)[^|]*\| (?:`(\w+)`[^|]*|—) \|")


def documented_layout() -> dict[str, tuple[str, str | None]]:
    """table -> (kind, distribution column) from the plan's table in docs/scaling.md."""
    layout = {}
    for line in (ROOT / "docs" / "scaling.md").read_text().splitlines():
        m = ROW.match(line)
        if m:
            layout[m[1]] = (m[2], m[3])
    return layout


def live_layout(dsn: str) -> dict[str, tuple[str, str | None, int]]:
    """table -> (kind, distribution column, colocation id) from Citus's catalog."""
    rows = fetch(
        dsn,
        "SELECT table_name::text, citus_table_type, distribution_column, colocation_id"
        " FROM citus_tables",
    )
    return {str(t): (str(k), None if c == "<none>" else str(c), int(str(g))) for t, k, c, g in rows}


def test_the_plan_covers_every_table_of_the_schema() -> None:
    assert set(documented_layout()) == schema_tables()


def test_the_cluster_is_a_coordinator_and_two_workers(
    citus: CitusCluster, citus_migrated: str
) -> None:
    nodes = fetch(citus_migrated, "SELECT nodeport, groupid, shouldhaveshards FROM pg_dist_node")
    workers = {w.port for w in citus.workers}
    assert {(p, g == 0) for p, g, _ in nodes} == {(citus.coordinator.port, True)} | {
        (w, False) for w in workers
    }
    placements = fetch(
        citus_migrated,
        "SELECT DISTINCT nodeport FROM pg_dist_shard_placement"
        " JOIN pg_dist_shard USING (shardid)"
        " WHERE logicalrelid = 'chat_messages'::regclass",
    )
    assert {p for (p,) in placements} == workers  # the shards are spread over both workers


def test_migrate_apply_gives_the_documented_layout(citus_migrated: str) -> None:
    live = live_layout(citus_migrated)
    documented = documented_layout()
    assert {t: (k, c) for t, (k, c, _) in live.items()} == documented
    groups = {g for t, (k, _, g) in live.items() if k == "distributed"}
    assert len(groups) == 1, f"the distributed tables are not co-located: {live}"


def test_drift_and_check_schema_accept_the_coordinator(citus_migrated: str) -> None:
    assert asyncio.run(drift.drift(citus_migrated, ROOT / "schema")) == []

    async def check() -> None:
        from chatdb.db.runtime import create_pool

        pool = await create_pool(citus_migrated, check_schema=True, min_size=1, max_size=1)
        await pool.close()

    asyncio.run(check())


def _seed(dsn: str) -> tuple[uuid.UUID, int]:
    """An account with a user, an agent, a chat and 3 messages; (account, message count)."""
    acc, usr, agt, chat = (uuid.uuid4() for _ in range(4))
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("INSERT INTO accounts (id, name) VALUES (%s, 'a')", (acc,))
        conn.execute("INSERT INTO users (id, account_id, email) VALUES (%s, %s, 'e')", (usr, acc))
        conn.execute("INSERT INTO agents (id, account_id, name) VALUES (%s, %s, 'g')", (agt, acc))
        conn.execute(
            "INSERT INTO chats (id, account_id, user_id, agent_id) VALUES (%s, %s, %s, %s)",
            (chat, acc, usr, agt),
        )
        for n in range(3):
            conn.execute(
                "INSERT INTO chat_messages (account_id, chat_id, client_message_id, role, content)"
                " VALUES (%s, %s, %s, 'user', %s)",
                (acc, chat, uuid.uuid4(), f"m{n}"),
            )
    return acc, 3


def _rows(dsn: str) -> list[tuple[object, ...]]:
    return fetch(dsn, "SELECT account_id, chat_id, id, content FROM chat_messages ORDER BY id")


def test_rollbacks_undo_the_distribution_and_keep_every_row(citus: CitusCluster) -> None:
    with citus.database("citus_rb_") as dsn:
        migrate.apply(dsn, ROOT / "schema")
        _seed(dsn)
        before = _rows(dsn)
        migrate.rollback(dsn, ROOT / "schema", "0013_distribute_by_account")
        assert live_layout(dsn) == {}, "tables still distributed after the rollback"
        assert _rows(dsn) == before
        pending = [
            f"migration {m}: pending (not applied)"
            for m in (
                "0013_distribute_by_account",
                "0014_ids_per_account",
                "0015_chats_paging_by_account",
            )
        ]
        assert asyncio.run(drift.drift(dsn, ROOT / "schema")) == pending
        # the identity goes on after the highest id
        _, _ = _seed(dsn)
        last = int(str(before[-1][2]))
        assert [r[2] for r in _rows(dsn)][-3:] == [last + n for n in (1, 2, 3)]
        migrate.apply(dsn, ROOT / "schema")
        assert {k for k, _, _ in live_layout(dsn).values()} == {"distributed", "reference"}
        assert len(_rows(dsn)) == 6
        assert asyncio.run(drift.drift(dsn, ROOT / "schema")) == []
        migrate.rollback(dsn, ROOT / "schema", "0011_chat_messages_account_id")
        with pytest.raises(psycopg.errors.UndefinedColumn):
            fetch(dsn, "SELECT account_id FROM chat_messages")
        migrate.apply(dsn, ROOT / "schema")
        assert len(_rows(dsn)) == 6 and all(r[0] is not None for r in _rows(dsn))
