"""A failure to connect is told apart by its kind, never by its text.

libpq (psycopg, which the migrations run on) reports a failure to start a session — no
server listening, no such database — without a SQLSTATE: as text, in the client's or the
server's language. `dbutil.unavailable` therefore does not read that text: it attempts the
same connection with asyncpg, whose failure says what went wrong by its class and
SQLSTATE. Shown here with psycopg failures whose text says nothing useful, on a real
refused port and a real server without the database.
"""

from __future__ import annotations

import psycopg

from codegen import dbutil
from tests.test_dbutil import _refused_port


def test_a_refused_connection_is_named_whatever_libpq_wrote() -> None:
    down = f"postgresql://postgres@127.0.0.1:{_refused_port()}/postgres"
    said = dbutil.unavailable(down, psycopg.OperationalError("Verbindung abgelehnt"))
    assert "connection refused; is PostgreSQL running there" in str(said)


def test_a_missing_database_is_named_whatever_libpq_wrote(admin_dsn: str) -> None:
    missing = dbutil.dsn_with_database(admin_dsn, "no_such_database_by_kind")
    said = dbutil.unavailable(missing, psycopg.OperationalError("FATAL: Datenbank fehlt"))
    assert str(said).startswith('database "no_such_database_by_kind" does not exist on ')


def test_a_failure_asyncpg_does_not_share_keeps_psycopg_s_own_words(admin_dsn: str) -> None:
    said = dbutil.unavailable(admin_dsn, psycopg.OperationalError("server closed early"))
    assert str(said).endswith(": server closed early")
