"""INSERT ... VALUES (one row) RETURNING: the generated :one returns the row, never None."""

from __future__ import annotations

import inspect

import pytest

from chatdb.db import accounts
from chatdb.db.models import Account
from chatdb.db.runtime import NoRowError, connect


def test_plain_insert_returning_is_not_optional() -> None:
    returns = inspect.signature(accounts.insert_account).return_annotation
    assert returns == "Account"  # not "Account | None"


async def test_insert_returns_the_row_and_a_suppressed_insert_raises(migrated_db: str) -> None:
    conn = await connect(migrated_db)
    try:
        row = await accounts.insert_account(conn, name="Acme")
        assert isinstance(row, Account) and row.name == "Acme"
        # A BEFORE trigger returning NULL skips the insert: no row comes back.
        await conn.execute(
            "CREATE FUNCTION skip_insert() RETURNS trigger LANGUAGE plpgsql"
            " AS $$ BEGIN RETURN NULL; END $$;"
            "CREATE TRIGGER skip BEFORE INSERT ON accounts"
            " FOR EACH ROW EXECUTE FUNCTION skip_insert()"
        )
        with pytest.raises(NoRowError, match="InsertAccount returned no row"):
            await accounts.insert_account(conn, name="Skipped")
    finally:
        await conn.close()
