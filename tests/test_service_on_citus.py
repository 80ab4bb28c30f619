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
not: on Citus that is the worker-kill test of tests/test_citus_transactions.py. Nor are
the tests of a single server's mechanisms named in SINGLE_NODE_MECHANISMS, each with why
and where its guarantee is tested on Citus."""

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

_ONE_STATEMENT = (
    "the one-statement send (tx.run_statement, repeated in place by the service) is off on"
    " a coordinator (Database.over): there a send is a transaction, whose lost connection is"
    " a TransientError and whose lost COMMIT is OutcomeUnknown, both safe to repeat (the"
    " lost-acknowledgement tests here, the worker-kill test of test_citus_transactions.py)"
)
_CONFIG_LOCK = (
    "stops a send with a row lock on its model config, which the message's foreign-key"
    " check waits for on one PostgreSQL; on Citus that check reads the worker's copy of the"
    " reference table, which a lock taken through the coordinator does not hold"
)
# Tests of a single server's mechanisms rather than of a guarantee, each left out for its
# reason (the guarantee they serve is tested on Citus as named):
SINGLE_NODE_MECHANISMS: dict[str, str] = {
    "test_a_send_killed_while_it_waits_leaves_nothing_and_is_repeated_in_place": _ONE_STATEMENT,
    "test_a_send_killed_with_no_attempt_left_is_outcome_unknown_and_safe_to_repeat": _ONE_STATEMENT,
    "test_a_send_keeps_its_lock_bound_when_the_session_lost_it": _ONE_STATEMENT,
    "test_send_message_killed_mid_transaction_rolls_back_whole_and_retry_stores_one": _CONFIG_LOCK,
    "test_service_retries_a_real_deadlock_transparently": _CONFIG_LOCK,
    "test_default_promotion_killed_mid_transaction_rolls_back_whole": (
        "kills the delete once it has written and waits for the next config's row lock; on"
        " Citus a reference-table write first takes the table's shard lock, so it waits"
        " before writing anything (its rollback as a whole: test_citus_reference_write_cut.py)"
    ),
}


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
                left_out = name in KNOWN_DIFFERENCES or name in SINGLE_NODE_MECHANISMS
                if needs and needs <= FIXTURES and not left_out:
                    assert name not in found, f"{name} is in two modules"
                    found[name] = fn
    return found


globals().update(behavioural_tests())


def test_the_service_tests_are_collected_here_too() -> None:
    tests = behavioural_tests()
    assert not (set(KNOWN_DIFFERENCES) | set(SINGLE_NODE_MECHANISMS)) & set(tests)
    every = {name for module in MODULES for name in vars(module) if name.startswith("test_")}
    assert set(SINGLE_NODE_MECHANISMS) <= every  # each names a test that exists
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
