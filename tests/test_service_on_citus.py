"""The service's behavioural tests run again, unchanged, against a Citus coordinator with the
project's migrations applied: sends, idempotency, tombstones, tenancy, provider delete with
default promotion, the model picker (tests/test_service.py, test_repeats.py,
test_usable_default.py, test_hardening.py, test_service_contract.py), and the faults a
client meets: lost acknowledgements through the loopback TCP proxy, cancelled and abandoned
calls, backends killed in a transaction, row locks and timeouts (test_network.py,
test_timeouts.py, test_send_killed_anywhere.py, test_faults.py).

Every test of those modules whose only fixtures are `world`, `fault_db` and `proxy` is
collected here too: `world` is built on the Citus coordinator's database (`migrated_db`),
`fault_db` is that database, and `proxy` forwards to the coordinator (each emptied before
each test). Tests that need a server of their own to stop or restart (`fault_cluster`) are
not: on Citus that is the worker-kill test of tests/test_citus_transactions.py."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests import (
    test_faults,
    test_hardening,
    test_network,
    test_repeats,
    test_send_killed_anywhere,
    test_service,
    test_service_contract,
    test_timeouts,
    test_usable_default,
)
from tests.citus_cluster import CitusCluster
from tests.citus_fixtures import citus_db_fixture, citus_fixture, citus_migrated_fixture  # noqa: F401
from tests.tcp_proxy import Proxy, running_proxy
from tests.world import world  # noqa: F401  (the fixture, on the Citus database)

pytestmark = pytest.mark.citus

MODULES = (
    test_service,
    test_repeats,
    test_usable_default,
    test_hardening,
    test_service_contract,
    test_network,
    test_timeouts,
    test_send_killed_anywhere,
    test_faults,
)
FIXTURES = {"world", "fault_db", "proxy"}  # what this module gives on the coordinator


@pytest.fixture(name="migrated_db")
def citus_migrated_db(citus_db: str) -> str:
    """`world` builds its service on this database: the Citus coordinator's."""
    return citus_db


@pytest.fixture(name="fault_db")
def citus_fault_db(citus_db: str) -> str:
    """The fault tests' database: the coordinator's, emptied for the test."""
    return citus_db


@pytest.fixture(name="proxy")
async def citus_proxy(citus: CitusCluster) -> AsyncIterator[Proxy]:
    """The loopback TCP proxy, forwarding to the coordinator."""
    async with running_proxy("127.0.0.1", citus.coordinator.port) as p:
        yield p


# Single-node guarantees a Citus cluster does not give (docs/scaling.md): none. Ids are
# unique per account on both engines (migration 0014 gives a single PostgreSQL the keys
# 0013 gives Citus), so test_repeats' test of ids and emails per account runs here too.
KNOWN_DIFFERENCES: dict[str, str] = {}


def _parametrized(fn: Any) -> set[str]:
    return {
        name.strip()
        for mark in getattr(fn, "pytestmark", [])
        if mark.name == "parametrize"
        for name in (mark.args[0].split(",") if isinstance(mark.args[0], str) else mark.args[0])
    }


def behavioural_tests() -> dict[str, Any]:
    """The tests of MODULES that need only the fixtures given here."""
    found: dict[str, Any] = {}
    for module in MODULES:
        for name, fn in vars(module).items():
            if (
                name.startswith("test_")
                and inspect.isfunction(fn)
                and fn.__module__ == module.__name__
            ):
                needs = set(inspect.signature(fn).parameters) - _parametrized(fn)
                if needs and needs <= FIXTURES and name not in KNOWN_DIFFERENCES:
                    assert name not in found, f"{name} is in two modules"
                    found[name] = fn
    return found


globals().update(behavioural_tests())


def test_the_service_tests_are_collected_here_too() -> None:
    tests = behavioural_tests()
    assert not set(KNOWN_DIFFERENCES) & set(tests)
    for module in MODULES:  # every module gives some
        assert any(fn.__module__ == module.__name__ for fn in tests.values()), module.__name__
    assert {
        "test_delete_chat_cascades_and_is_owner_only",
        "test_emails_and_ids_are_per_account_and_other_accounts_are_not_revealed",
        "test_a_lost_commit_ack_is_outcome_unknown_and_every_write_is_safe_to_repeat",
        "test_a_silent_network_is_abandoned_at_the_client_deadline",
        "test_deleting_a_provider_with_history_succeeds",
        "test_chat_model_falls_back_when_disabled_or_provider_disabled",
    } <= set(tests)
