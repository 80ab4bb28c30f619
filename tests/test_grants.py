"""`schema_roles/02_grants.sql` converges: re-applied after someone granted too much, the
app role ends with exactly what the generated SQL needs (its REVOKEs are load-bearing).

The needed privileges are derived from the generated statements (test_security's
analysis), the tables and sequences from the live catalog: nothing is listed by hand.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from tests.reliability_fixtures import connect
from tests.test_security import (
    APP,
    OWNER,
    ROLES_DIR,
    TABLE_PRIVILEGES,
    Secured,
    generated_statements,
    needed_privileges,
    secured_rw,
)

pytest_plugins = ["tests.reliability_fixtures"]
__all__ = ["secured_rw"]  # the fixture, imported so that pytest finds it here

GRANT_EVERYTHING = f"""
GRANT ALL ON ALL TABLES IN SCHEMA public TO {APP} WITH GRANT OPTION;
GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {APP} WITH GRANT OPTION;
"""


async def app_privileges(conn: asyncpg.Connection[Any]) -> dict[str, set[str]]:
    """Every privilege (and grant option) the app role holds on the public schema's tables
    and sequences, yoyo's and ours included: relation -> {'SELECT', 'SELECT*', ...}."""
    rows = await conn.fetch(
        "SELECT c.relname, c.relkind, a.privilege_type, a.is_grantable "
        "FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a "
        "WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'S', 'v') "
        "AND a.grantee = $1::regrole",
        APP,
    )
    held: dict[str, set[str]] = {}
    for r in rows:
        held.setdefault(r["relname"], set()).add(
            r["privilege_type"] + ("*" if r["is_grantable"] else "")
        )
    return held


async def needed(conn: asyncpg.Connection[Any]) -> dict[str, set[str]]:
    """What the generated SQL needs: table privileges, and USAGE on the sequences behind the
    columns of tables it inserts into."""
    need: dict[str, set[str]] = {}
    for sql in generated_statements().values():
        for table, privilege in needed_privileges(sql):
            need.setdefault(table, set()).add(privilege)
    inserted = [t for t, ps in need.items() if "INSERT" in ps]
    sequences = await conn.fetch(
        "SELECT s.relname FROM pg_class s JOIN pg_depend d ON d.objid = s.oid "
        "JOIN pg_class t ON t.oid = d.refobjid "
        "WHERE s.relkind = 'S' AND t.relname = ANY($1::text[])",
        inserted,
    )
    for r in sequences:
        need[r["relname"]] = {"USAGE"}
    return need


async def test_reapplying_the_grants_revokes_what_was_granted_too_much(
    secured_rw: Secured,
) -> None:
    async with connect(secured_rw.owner) as conn:
        await conn.execute(GRANT_EVERYTHING)
        too_much = await app_privileges(conn)
        need = await needed(conn)
        assert "_yoyo_migration" in too_much and "TRUNCATE*" in too_much["chats"]
        assert all(p in TABLE_PRIVILEGES for ps in need.values() for p in ps if p != "USAGE")

        await conn.execute((ROLES_DIR / "02_grants.sql").read_text())
        held = await app_privileges(conn)
        owner = await conn.fetchval("SELECT current_user")
    assert owner == OWNER
    assert held == need
