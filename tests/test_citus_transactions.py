"""The service's transactions on a real Citus cluster, seen on the wire: Citus reports every
command it sends to a worker (`citus.log_remote_commands`), so a test can tell which nodes a
transaction touched and how it committed.

- a send (creating its chat or not) touches one worker, the one holding its account's
  shard, and commits there with a plain COMMIT: a single-node transaction;
- an admin write to a reference table commits on every node by two-phase commit; with a
  worker down it fails with a typed error before anything commits anywhere, and succeeds
  once the worker is back;
- a worker killed in the middle of sends: sends of its accounts get typed errors, the other
  worker's accounts go on, nothing is half written, and everything works when it returns.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import pytest

from chatdb.admin import AdminService
from chatdb.errors import DomainError
from chatdb.service import ChatService
from tests.citus_cluster import CitusCluster, fetch
from tests.citus_fixtures import citus_db_fixture, citus_fixture, citus_migrated_fixture  # noqa: F401
from tests.reliability_fixtures import assert_invariants, open_service
from tests.world import Who, seed_world

pytestmark = pytest.mark.citus
NODE = re.compile(r"on server \S+@127\.0\.0\.1:(\d+)")


class Wire:
    """The remote commands Citus issued, as (worker port, command)."""

    def __init__(self) -> None:
        self.commands: list[tuple[int, str]] = []

    def listen(self, conn: object, message: Any) -> None:
        found = NODE.search(message.detail or "")
        if found and message.message.startswith("issuing "):
            self.commands.append((int(found[1]), message.message.removeprefix("issuing ")))

    def ports(self) -> set[int]:
        return {p for p, _ in self.commands}

    def prepared(self) -> set[int]:
        return {p for p, c in self.commands if c.startswith("PREPARE TRANSACTION")}


@asynccontextmanager
async def watched_service(dsn: str, wire: Wire) -> AsyncIterator[ChatService]:
    async def setup(conn: asyncpg.Connection[Any]) -> None:
        conn.add_log_listener(wire.listen)

    settings = {"citus.log_remote_commands": "on"}
    async with open_service(dsn, max_size=1, setup=setup, server_settings=settings) as svc:
        yield svc


def worker_of(dsn: str, account: uuid.UUID) -> int:
    rows = fetch(
        dsn,
        "SELECT nodeport FROM pg_dist_shard_placement WHERE shardid ="
        f" get_shard_id_for_distribution_column('accounts', '{account}')",
    )
    return int(str(rows[0][0]))


async def test_a_send_touches_one_worker_and_commits_there_in_one_phase(citus_db: str) -> None:
    wire = Wire()
    async with watched_service(citus_db, wire) as svc:
        world = await seed_world(svc)
        home = worker_of(citus_db, world.account_id)
        chat = uuid.uuid4()
        for text in ("creates the chat", "finds it", "and again"):
            wire.commands.clear()
            sent = await svc.send_message(
                **world.who, chat_id=chat, client_message_id=uuid.uuid4(), content=text
            )
            assert not sent.duplicate
            assert wire.ports() == {home}, "\n".join(f"{p} {c[:150]}" for p, c in wire.commands)
            assert wire.prepared() == set(), wire.commands
            assert wire.commands[-1] == (home, "COMMIT")


async def test_an_admin_write_to_a_reference_table_is_a_two_phase_commit_on_every_worker(
    citus: CitusCluster, citus_db: str
) -> None:
    wire = Wire()
    async with watched_service(citus_db, wire) as svc:
        await AdminService(svc.db).create_provider(provider="p", display_name="P")
    workers = {w.port for w in citus.workers}
    assert wire.prepared() == workers, wire.commands
    assert {p for p, c in wire.commands if c.startswith("COMMIT PREPARED")} == workers


def _providers_everywhere(dsn: str) -> dict[int, int]:
    """Rows of chat_providers in each copy of the reference table, by node port."""
    rows = fetch(
        dsn,
        "SELECT nodeport, result FROM run_command_on_placements("
        "'chat_providers', 'SELECT count(*) FROM %s')",
    )
    return {int(str(port)): int(str(n)) for port, n in rows}


async def test_a_reference_write_with_a_worker_down_commits_nowhere_and_then_succeeds(
    citus: CitusCluster, citus_db: str
) -> None:
    down = citus.workers[1]
    async with open_service(citus_db, max_size=2) as svc:
        admin = AdminService(svc.db)
        down.stop("immediate")
        try:
            with pytest.raises(DomainError) as failed:
                await admin.create_provider(provider="p", display_name="P")
            assert type(failed.value).__name__ in {"TransientError", "OutcomeUnknown"}
            local = fetch(citus_db, "SELECT count(*) FROM chat_providers")
            assert local == [(0,)]  # the coordinator's copy: nothing committed
        finally:
            down.start()
        await admin.create_provider(provider="p", display_name="P")
    counts = _providers_everywhere(citus_db)
    assert counts == {n.port: 1 for n in citus.nodes}, counts
    for node in citus.nodes:
        database = citus_db.rsplit("/", 1)[1]
        assert fetch(citus.dsn(database, node), "SELECT count(*) FROM pg_prepared_xacts") == [(0,)]


async def _sender(svc: ChatService, who: Who, stop: asyncio.Event, log: list[Any]) -> None:
    """Send to one chat until told to stop; log (time, client_message_id, error or None)."""
    chat = uuid.uuid4()
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        mid = uuid.uuid4()
        try:
            await svc.send_message(**who, chat_id=chat, client_message_id=mid, content="hi")
            log.append((loop.time(), mid, None))
        except DomainError as exc:
            log.append((loop.time(), mid, exc))
            await asyncio.sleep(0.05)


async def test_a_worker_killed_mid_sends_gives_typed_errors_no_partial_writes_and_recovers(
    citus: CitusCluster, citus_db: str
) -> None:
    victim = citus.workers[0]
    async with open_service(citus_db, max_size=8) as svc:
        worlds = [await seed_world(svc)]
        worlds += [await seed_world(svc, providers=()) for _ in range(5)]
        home = {w.account_id: worker_of(citus_db, w.account_id) for w in worlds}
        assert set(home.values()) == {w.port for w in citus.workers}, "accounts on one worker"
        stop = asyncio.Event()
        logs: dict[uuid.UUID, list[Any]] = {w.account_id: [] for w in worlds}
        loop = asyncio.get_running_loop()
        tasks = [asyncio.create_task(_sender(svc, w.who, stop, logs[w.account_id])) for w in worlds]
        await asyncio.sleep(1.0)
        killed = loop.time()
        await asyncio.to_thread(victim.stop, "immediate")
        await asyncio.sleep(2.0)
        await asyncio.to_thread(victim.start)
        back = loop.time()
        await asyncio.sleep(2.0)
        stop.set()
        await asyncio.gather(*tasks)
    errors = [e for log in logs.values() for _, _, e in log if e is not None]
    assert errors, "no send failed while a worker was down"
    kinds = {type(e).__name__ for e in errors}
    assert kinds <= {"TransientError", "OutcomeUnknown"}, {
        repr(e.__cause__ or e.__context__) for e in errors
    }
    for account, log in logs.items():
        failed = [t for t, _, e in log if e is not None]
        if home[account] == victim.port:
            assert failed and all(t >= killed for t in failed), account
            assert any(e is None and t > back for t, _, e in log), f"{account} did not recover"
        else:
            assert not failed, f"{account} (other worker) failed: {failed}"
    await assert_invariants(citus_db)  # counts match messages, no orphan, no duplicate
    acked = [mid for log in logs.values() for _, mid, e in log if e is None]
    stored = fetch(
        citus_db,
        "SELECT count(*) FROM chat_messages WHERE client_message_id = ANY(ARRAY["
        + ",".join(f"'{m}'::uuid" for m in acked)
        + "])",
    )
    assert stored == [(len(acked),)]
    database = citus_db.rsplit("/", 1)[1]
    for node in citus.nodes:
        assert fetch(citus.dsn(database, node), "SELECT count(*) FROM pg_prepared_xacts") == [(0,)]
