"""The service's behavioural tests (sends, idempotency, tombstones, tenancy, provider delete
with default promotion, the model picker, repeats after an unknown outcome) run again,
unchanged, against a Citus coordinator with the project's migrations applied: every test of
tests/test_service.py and tests/test_repeats.py whose only fixture is the service `world`
is collected here too, with `migrated_db` the Citus coordinator's database (emptied before
each test). One of them states a single-node guarantee Citus does not give; it is left
out by name in KNOWN_DIFFERENCES, and the difference itself is tested below."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from tests import test_repeats, test_service
from tests.citus_fixtures import citus_db_fixture, citus_fixture, citus_migrated_fixture  # noqa: F401
from tests.world import World, world  # noqa: F401  (the fixture, on the Citus database)

# ruff: noqa: F811  (test parameters named after the imported fixture)

pytestmark = pytest.mark.citus


@pytest.fixture(name="migrated_db")
def citus_migrated_db(citus_db: str) -> str:
    """`world` builds its service on this database: the Citus coordinator's."""
    return citus_db


# Single-node guarantees a Citus cluster does not give (docs/scaling.md):
KNOWN_DIFFERENCES = {
    "test_emails_are_unique_per_account_and_other_accounts_are_not_revealed": "ids are unique"
    " per account only (every key of a distributed table includes account_id): another"
    " account's user id is accepted as a new user of this account",
}


def _parametrized(fn: Any) -> set[str]:
    return {
        name.strip()
        for mark in getattr(fn, "pytestmark", [])
        if mark.name == "parametrize"
        for name in (mark.args[0].split(",") if isinstance(mark.args[0], str) else mark.args[0])
    }


def behavioural_tests() -> dict[str, Any]:
    """The tests of the service modules that need nothing but `world`."""
    found = {}
    for module in (test_service, test_repeats):
        for name, fn in vars(module).items():
            if name.startswith("test_") and inspect.isfunction(fn):
                needs = set(inspect.signature(fn).parameters) - _parametrized(fn)
                if needs == {"world"} and name not in KNOWN_DIFFERENCES:
                    found[name] = fn
    return found


globals().update(behavioural_tests())


def test_the_service_tests_are_collected_here_too() -> None:
    tests = behavioural_tests()
    assert len(tests) >= 20 and "test_delete_chat_cascades_and_is_owner_only" in tests
    assert not set(KNOWN_DIFFERENCES) & set(tests)


async def test_on_citus_ids_are_unique_per_account_only(world: World) -> None:
    other = await world.svc.create_account(name="Other")
    twin = await world.svc.create_user(id=world.user.id, account_id=other.id, email="t@x")
    assert twin.id == world.user.id and twin.account_id == other.id
