"""`Timeouts`: every bound it accepts is applied as given, and it refuses what it could
not apply. The server's own limits (the maximum of statement_timeout and lock_timeout)
come from the server, never from a copy in the test.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from chatdb.db.runtime import create_pool
from chatdb.tx import Conn, RetryPolicy, Timeouts, run_in_transaction

FIELDS = ("acquire", "statement", "lock")


async def server_max_seconds(dsn: str) -> float:
    """The largest statement_timeout/lock_timeout the server takes, in seconds."""
    pool = await create_pool(dsn, min_size=1, max_size=1)
    try:
        rows = await pool.fetch(
            "SELECT name, max_val::bigint AS ms FROM pg_settings "
            "WHERE name IN ('statement_timeout', 'lock_timeout')"
        )
    finally:
        await pool.close()
    [ms] = {r["ms"] for r in rows}
    return float(ms) / 1000


async def test_the_largest_bound_the_server_takes_is_accepted_and_beyond_it_refused(
    migrated_db: str,
) -> None:
    top = await server_max_seconds(migrated_db)
    assert top == Timeouts.MAX_SECONDS
    limits = Timeouts(statement=top, lock=top)
    pool = await create_pool(migrated_db, min_size=1, max_size=1)
    try:

        async def show(conn: Conn) -> tuple[str, str]:
            return (
                await conn.fetchval("SHOW statement_timeout"),
                await conn.fetchval("SHOW lock_timeout"),
            )

        got = await run_in_transaction(pool, show, RetryPolicy(), timeouts=limits)
    finally:
        await pool.close()
    assert got[0] == got[1] and got[0] != "0"  # applied, not refused as InvalidInput
    for name in ("statement", "lock"):
        with pytest.raises(ValueError) as exc:
            Timeouts(**{name: top + 1})
        assert str(exc.value).startswith(f"Timeouts.{name} must be ")
        assert f"at most {top} " in str(exc.value)


def test_a_positive_bound_never_rounds_to_no_bound() -> None:
    sql = Timeouts(statement=0.0004, lock=0.0001).begin_sql(readonly=False)
    assert sql.endswith("SET LOCAL statement_timeout = 1;SET LOCAL lock_timeout = 1")
    off = Timeouts(statement=0, lock=0).begin_sql(readonly=False)  # 0: no bound, as asked
    assert off.endswith("SET LOCAL statement_timeout = 0;SET LOCAL lock_timeout = 0")


@pytest.mark.parametrize("name", FIELDS)
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, -1, "5", True, None])
def test_a_bound_that_is_not_a_usable_number_is_refused_naming_it(name: str, value: Any) -> None:
    with pytest.raises(ValueError) as exc:
        Timeouts(**{name: value})
    assert str(exc.value).startswith(f"Timeouts.{name} must be "), str(exc.value)
    assert repr(value) in str(exc.value)
