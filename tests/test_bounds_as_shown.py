"""The bounds a statement that commits itself checks before it writes (`current_setting`
against `Timeouts.shown()`) are printed as PostgreSQL prints them, for every kind of
value: PostgreSQL is the judge (SET, then SHOW), not a table written here."""

from __future__ import annotations

import asyncpg
import pytest

from chatdb.tx import Timeouts

SECONDS = [0, 0.001, 0.25, 1, 1.5, 30, 60, 90, 3600, 5400, 86400, 90000, Timeouts.MAX_SECONDS]


@pytest.mark.parametrize("seconds", SECONDS)
async def test_shown_is_what_show_prints_after_the_session_settings(
    migrated_db: str, seconds: float
) -> None:
    # A statement bound below a second could cancel the SHOWs themselves on a busy machine:
    # the lock bound takes those values alone.
    bounds = Timeouts(statement=seconds if seconds == 0 or seconds >= 1 else 30, lock=seconds)
    conn = await asyncpg.connect(migrated_db)
    try:
        await conn.execute(bounds.session_settings())
        shown = (
            await conn.fetchval("SELECT current_setting('statement_timeout')"),
            await conn.fetchval("SELECT current_setting('lock_timeout')"),
        )
        await conn.execute(bounds.begin_sql(readonly=False))
        local = (
            await conn.fetchval("SELECT current_setting('statement_timeout')"),
            await conn.fetchval("SELECT current_setting('lock_timeout')"),
        )
        await conn.execute("ROLLBACK")
    finally:
        await conn.close()
    assert bounds.shown() == shown == local


@pytest.mark.parametrize("to_workers", [True, False])
async def test_a_transaction_for_citus_workers_sends_its_set_locals_on(
    migrated_db: str, to_workers: bool
) -> None:
    """`Timeouts.to_workers` (a Citus coordinator): the transaction's first act is
    `citus.propagate_set_commands = 'local'`, so its SET LOCAL bounds reach the workers
    (tests/test_citus_set_local_reaches_workers.py shows it on Citus). A server without
    Citus keeps the setting as a placeholder, which is enough to see that it was sent."""
    conn = await asyncpg.connect(migrated_db)
    try:
        await conn.execute(Timeouts(to_workers=to_workers).begin_sql(readonly=False))
        said = await conn.fetchval("SELECT current_setting('citus.propagate_set_commands', true)")
        await conn.execute("ROLLBACK")
    finally:
        await conn.close()
    assert said == ("local" if to_workers else None)
