"""Read replicas: reads may go to a streaming replica, writes never do.

A throwaway primary and a real streaming replica of it (`pg_basebackup -R`, started as a
hot standby) on this machine. The service gets a pool on each: writes land on the
primary (the replica refuses them anyway); the read operations read the replica, which
we show by pausing its WAL replay — a message sent meanwhile is missing there and present
with `fresh=True`, which reads the primary (read-your-writes).
"""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from chatdb.database import Database
from chatdb.db.runtime import create_pool
from chatdb.service import ChatService
from codegen import migrate
from tests import pgcluster
from tests.conftest import ROOT
from tests.world import seed_world


@pytest.fixture(scope="module")
def primary_and_replica() -> Iterator[tuple[pgcluster.Cluster, pgcluster.Cluster]]:
    try:
        primary = pgcluster.start_cluster()
    except pgcluster.NoPostgres as exc:
        pytest.exit(str(exc), returncode=3)
    replica_dir = primary.datadir.parent / "replica"
    try:
        subprocess.run(
            [
                *primary.run_as,
                str(primary.bindir / "pg_basebackup"),
                "-d",
                primary.dsn,
                "-D",
                str(replica_dir),
                "-R",  # standby.signal + primary_conninfo: a streaming replica
                "-X",
                "stream",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
        )
        replica = dataclasses.replace(
            primary, datadir=replica_dir, port=pgcluster.free_port(), options="-c hot_standby=on"
        )
        replica.start()
        try:
            yield primary, replica
        finally:
            replica.stop("immediate")
            shutil.rmtree(replica_dir, ignore_errors=True)
    finally:
        primary.remove()


@pytest.fixture
async def service(
    primary_and_replica: tuple[pgcluster.Cluster, pgcluster.Cluster],
) -> AsyncIterator[tuple[ChatService, asyncpg.Connection[asyncpg.Record]]]:
    primary, replica = primary_and_replica
    await asyncio.to_thread(migrate.apply, primary.dsn, ROOT / "schema")
    pool = await create_pool(primary.dsn, min_size=1, max_size=2)
    reader = await create_pool(replica.dsn, min_size=1, max_size=2)
    standby = await asyncpg.connect(replica.dsn)
    try:
        yield ChatService(Database(pool, replica=reader)), standby
    finally:
        await standby.execute("SELECT pg_wal_replay_resume()")
        await standby.close()
        await reader.close()
        await pool.close()


async def _caught_up(standby: asyncpg.Connection[asyncpg.Record], primary_lsn: str) -> None:
    for _ in range(200):
        if await standby.fetchval(
            "SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn", primary_lsn
        ):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the replica did not catch up within 10 s")


async def test_reads_go_to_the_replica_writes_and_fresh_reads_to_the_primary(
    service: tuple[ChatService, asyncpg.Connection[asyncpg.Record]],
) -> None:
    svc, standby = service
    assert await standby.fetchval("SELECT pg_is_in_recovery()")  # a real hot standby
    world = await seed_world(svc, providers=("alpha",), configs_per_provider=1)
    chat = uuid.uuid4()
    first = await svc.send_message(
        **world.who, chat_id=chat, client_message_id=uuid.uuid4(), content="one"
    )
    lsn = await svc.db.pool.fetchval("SELECT pg_current_wal_lsn()::text")
    await _caught_up(standby, lsn)
    assert [
        m.id
        for m in (
            await svc.list_messages(
                account_id=world.account_id, user_id=world.user_id, chat_id=chat
            )
        ).messages
    ] == [first.message.id]

    await standby.execute("SELECT pg_wal_replay_pause()")  # the replica now lags
    second = await svc.send_message(  # a write: goes to the primary although replay is paused
        **world.who, chat_id=chat, client_message_id=uuid.uuid4(), content="two"
    )
    stale = await svc.list_messages(
        account_id=world.account_id, user_id=world.user_id, chat_id=chat
    )
    fresh = await svc.list_messages(
        account_id=world.account_id, user_id=world.user_id, chat_id=chat, fresh=True
    )
    assert [m.id for m in stale.messages] == [first.message.id]  # read on the replica
    assert [m.id for m in fresh.messages] == [first.message.id, second.message.id]
    assert (
        await svc.get_chat(account_id=world.account_id, user_id=world.user_id, chat_id=chat)
    ).message_count == 1
    assert (
        await svc.get_chat(
            account_id=world.account_id, user_id=world.user_id, chat_id=chat, fresh=True
        )
    ).message_count == 2

    await standby.execute("SELECT pg_wal_replay_resume()")
    lsn = await svc.db.pool.fetchval("SELECT pg_current_wal_lsn()::text")
    await _caught_up(standby, lsn)
    page = await svc.list_chats(account_id=world.account_id, user_id=world.user_id)
    assert [c.message_count for c in page.chats] == [2]  # caught up: the replica has both
