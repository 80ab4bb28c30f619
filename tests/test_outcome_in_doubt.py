"""When a write's outcome is in doubt, the caller hears OutcomeUnknown — never "nothing
was saved" — however the tries after the doubt end; and doubt comes from the stage an
error arrives at, not from its kind alone.

- A statement that commits itself and loses its connection while it runs may have
  committed. If the repeat then fails for another reason until the attempts run out, the
  call is OutcomeUnknown (a TransientError would tell the caller nothing was written).
- internal_error (XX000) raised by COMMIT itself leaves the outcome unknown (Citus raises
  it when a worker is lost while the coordinator commits on it); the same error raised
  while the transaction's work runs is an error of that work: nothing was committed.

Both on a real server: the connection is ended by the server (pg_terminate_backend), the
serialization failure and the internal errors are raised by PostgreSQL (a DO block, and a
deferred constraint trigger that fires at COMMIT).
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from chatdb.errors import InternalError, InvalidInput, OutcomeUnknown
from chatdb.tx import Conn, RetryPolicy, Timeouts, run_in_transaction, run_statement

NO_WAIT = RetryPolicy(attempts=2, base_delay=0, max_delay=0)

_RAISE = """
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'lost a node' USING ERRCODE = 'internal_error'; END $$;
CREATE TABLE {name} (x int);
CREATE CONSTRAINT TRIGGER at_commit AFTER INSERT ON {name}
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.x = 1) EXECUTE FUNCTION {name}();
CREATE TRIGGER at_once AFTER INSERT ON {name}
    FOR EACH ROW WHEN (NEW.x = 2) EXECUTE FUNCTION {name}();
"""


async def test_a_lost_statement_whose_repeat_then_fails_is_outcome_unknown(pool: Any) -> None:
    tries = 0

    async def work(conn: Conn) -> None:
        nonlocal tries
        tries += 1
        if tries == 1:  # the server ends the connection while the statement runs
            await conn.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        else:  # the repeat meets a race until the attempts run out
            await conn.execute(
                "DO $$BEGIN RAISE EXCEPTION 'busy' USING ERRCODE = 'serialization_failure'; END$$"
            )

    with pytest.raises(OutcomeUnknown) as err:
        await run_statement(pool, work, NO_WAIT, timeouts=Timeouts(), bare=False)
    assert tries == 2 and err.value.__cause__ is not None


async def test_internal_error_is_outcome_unknown_at_commit_only(pool: Any) -> None:
    name = "doubt_" + uuid.uuid4().hex[:8]
    await pool.execute(_RAISE.format(name=name))

    def insert(x: int) -> Any:
        async def work(conn: Conn) -> None:
            await conn.execute(f"INSERT INTO {name} VALUES ($1)", x)

        return work

    with pytest.raises(OutcomeUnknown):  # raised by COMMIT: the deferred trigger
        await run_in_transaction(pool, insert(1), NO_WAIT, timeouts=Timeouts())
    with pytest.raises(InternalError) as err:  # raised by the INSERT: nothing committed
        await run_in_transaction(pool, insert(2), NO_WAIT, timeouts=Timeouts())
    assert not isinstance(err.value, OutcomeUnknown)
    assert err.value.message == "database error XX000"
    assert await pool.fetchval(f"SELECT count(*) FROM {name}") == 0


async def test_a_statement_lost_on_every_attempt_is_outcome_unknown_from_the_loss(
    pool: Any,
) -> None:
    tries = 0

    async def work(conn: Conn) -> None:
        nonlocal tries
        tries += 1
        await conn.execute("SELECT pg_terminate_backend(pg_backend_pid())")

    with pytest.raises(OutcomeUnknown) as err:
        await run_statement(pool, work, NO_WAIT, timeouts=Timeouts(), bare=False)
    assert tries == NO_WAIT.attempts
    assert err.value.__cause__ is not None  # the lost connection, for the logs


async def test_a_statement_that_fails_by_itself_is_its_own_error_not_doubt(pool: Any) -> None:
    """An error the statement raised while running (here class 22, from its data) says the
    statement did not commit: its own typed error, not OutcomeUnknown."""

    async def work(conn: Conn) -> None:
        await conn.execute("SELECT 1 / 0")

    with pytest.raises(InvalidInput):
        await run_statement(pool, work, NO_WAIT, timeouts=Timeouts(), bare=False)
