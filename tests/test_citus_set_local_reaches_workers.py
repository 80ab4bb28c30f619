"""A transaction's SET LOCALs reach the Citus workers it runs on: the service's bounds
(statement_timeout, lock_timeout: a row lock is waited for on the worker holding the row)
and the semantic search's hnsw.iterative_scan (its index scan runs on the worker holding
the account's shard). Citus sends a transaction's SET LOCALs on to the workers when
citus.propagate_set_commands is 'local'; `Database.over` makes the service send that with
every BEGIN on a coordinator (`Timeouts.to_workers`). Read back here by a router query whose
`current_setting` calls run on the worker, in the same transaction as the search's setting.
"""

from __future__ import annotations

import dataclasses

import pytest

from chatdb.database import Database
from chatdb.db import chat_message_embeddings as q_embeddings
from chatdb.db.runtime import create_pool
from chatdb.service import ChatService
from chatdb.tx import Conn
from tests.citus_fixtures import citus_db_fixture, citus_fixture, citus_migrated_fixture  # noqa: F401
from tests.world import make_world

pytestmark = pytest.mark.citus

# A router query (pinned by the account): Citus sends it whole to the account's worker.
ON_THE_WORKER = """
    SELECT current_setting('hnsw.iterative_scan', true), current_setting('lock_timeout'),
           current_setting('statement_timeout')
    FROM accounts WHERE id = $1"""


async def _settings_on_the_worker(db: Database, account: object) -> tuple[str, str, str]:
    async def work(conn: Conn) -> tuple[str, str, str]:
        await q_embeddings.search_exhaustively(conn)
        row = await conn.fetchrow(ON_THE_WORKER, account)
        assert row is not None
        return (row[0], row[1], row[2])

    return await db.read(work, fresh=True)


async def test_the_search_s_setting_and_the_bounds_reach_the_worker(citus_db: str) -> None:
    pool = await create_pool(citus_db, min_size=1, max_size=2)
    try:
        db = await Database.over(pool)
        assert db.timeouts.to_workers and not db.statement_writes
        world = await make_world(ChatService(db))
        bounds = db.timeouts.shown()  # statement_timeout, lock_timeout as SHOW prints them
        got = await _settings_on_the_worker(db, world.account_id)
        assert got == ("strict_order", bounds[1], bounds[0])
        # The control: without it the worker runs with its own settings.
        alone = dataclasses.replace(db, timeouts=dataclasses.replace(db.timeouts, to_workers=False))
        got = await _settings_on_the_worker(alone, world.account_id)
        assert got[0] != "strict_order" and got[1] != bounds[1]
    finally:
        await pool.close()
