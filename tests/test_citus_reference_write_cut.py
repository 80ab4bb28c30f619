"""An admin write to a reference table (a provider) is a two-phase commit on a Citus cluster:
the coordinator sends PREPARE TRANSACTION to every worker, commits locally (recording the
transaction in pg_dist_transaction), then sends COMMIT PREPARED. Here the connection to one
worker is cut at each of those commands (a loopback TCP proxy sits in front of it, as if the
worker died right there), and the outcome is shown to be all or nothing across the nodes
once Citus has recovered its prepared transactions (`recover_prepared_transactions()`, what
its maintenance daemon runs): the client sees success or a typed error (`chatdb.errors`),
never a write that is on some nodes only, and repeating the call reports the stored row.

- cut at PREPARE TRANSACTION: nothing is committed anywhere, the client gets a typed error;
- cut at COMMIT PREPARED: the coordinator has committed, the client sees success, the cut
  worker holds the write prepared (invisible) until recovery commits it there too.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from chatdb.admin import AdminService
from chatdb.errors import DomainError
from codegen import migrate
from tests.citus_cluster import CitusCluster, fetch
from tests.citus_fixtures import citus_plaintext_fixture  # noqa: F401
from tests.conftest import ROOT
from tests.reliability_fixtures import open_service
from tests.tcp_proxy import Proxy, running_proxy

pytestmark = pytest.mark.citus


@asynccontextmanager
async def cut_worker_database(citus: CitusCluster) -> AsyncIterator[tuple[str, Proxy]]:
    """A migrated coordinator database whose second worker is reached through a proxy."""
    cut = citus.workers[1]
    async with running_proxy("127.0.0.1", cut.port) as proxy:
        name = f"citus_cut_{uuid.uuid4().hex[:12]}"
        try:
            dsn = await asyncio.to_thread(citus.create_database, name, {cut.port: proxy.port})
            await asyncio.to_thread(migrate.apply, dsn, ROOT / "schema")
            yield dsn, proxy
        finally:
            await asyncio.to_thread(citus.drop_database, name)


async def copies(dsn: str) -> list[int]:
    """The rows of chat_providers in each node's copy of the reference table (in a thread:
    the coordinator reaches the cut worker through the proxy, on this event loop)."""
    rows = await asyncio.to_thread(
        fetch,
        dsn,
        "SELECT result FROM run_command_on_placements('chat_providers', 'SELECT count(*) FROM %s')",
    )
    return [int(str(n)) for (n,) in rows]


def prepared(citus: CitusCluster, dsn: str) -> list[int]:
    """Prepared transactions left on each node."""
    database = dsn.rsplit("/", 1)[1].partition("?")[0]
    return [
        int(str(fetch(citus.dsn(database, node), "SELECT count(*) FROM pg_prepared_xacts")[0][0]))
        for node in citus.nodes
    ]


@pytest.mark.parametrize("command", ["PREPARE TRANSACTION", "COMMIT PREPARED"])
async def test_a_reference_write_cut_in_its_two_phase_commit_is_all_or_nothing(
    citus_plaintext: CitusCluster, command: str
) -> None:
    citus = citus_plaintext
    async with cut_worker_database(citus) as (dsn, proxy), open_service(dsn, max_size=1) as svc:
        admin = AdminService(svc.db)
        proxy.cut_at = command.encode()
        error: DomainError | None = None
        try:
            await admin.create_provider(provider="p", display_name="P")
        except DomainError as exc:
            error = exc
        assert proxy.cut == 1, f"no {command} went to the cut worker"
        held = prepared(citus, dsn)
        await asyncio.to_thread(fetch, dsn, "SELECT recover_prepared_transactions()")
        after = await copies(dsn)
        assert prepared(citus, dsn) == [0] * len(citus.nodes)
        assert len(after) == len(citus.nodes) and len(set(after)) == 1, after  # all or none
        if error is None:  # success: committed, on every node once recovered
            assert after[0] == 1
        else:
            assert after[0] == 0 or type(error).__name__ == "OutcomeUnknown", error
        if command == "COMMIT PREPARED":  # prepared there, committed by the recovery
            assert error is None and sum(held) == 1, (error, held)
        else:  # nothing committed: the client was told it failed
            assert error is not None and after == [0] * len(after), (error, after)
        again = await admin.create_provider(provider="p", display_name="P")
        assert again.provider == "p" and await copies(dsn) == [1] * len(citus.nodes)
