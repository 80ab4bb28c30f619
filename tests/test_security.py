"""The least-privilege setup of schema_roles/, on the session's own cluster.

A fresh empty database gets schema_roles/01_roles.sql (as the superuser), the migrations
run as chatdb_owner, then schema_roles/02_grants.sql as chatdb_owner. Proved here:

* everything the migrations create belongs to the owner role; neither role has any
  cluster-level power (superuser, CREATEDB, CREATEROLE, REPLICATION, BYPASSRLS);
* the application role's table privileges are exactly what the generated SQL needs —
  computed from every statement in chatdb.db with PostgreSQL's own parser — plus USAGE on
  the identity sequence: nothing missing, nothing extra;
* DDL through the application role fails with InsufficientPrivilegeError (CREATE TABLE,
  DROP TABLE, ALTER TABLE, CREATE INDEX, TRUNCATE, CREATE SCHEMA/TEMP TABLE/FUNCTION,
  ALTER ROLE), as do DML it does not need and any access to yoyo's tables; it cannot
  run migrations;
* every service operation, and the generated bulk paths (COPY, batch insert), work
  through the application role, and the data invariants hold afterwards.
"""

from __future__ import annotations

import contextlib
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pglast
import pytest
from pglast import ast

import chatdb.db
from chatdb.admin import AdminService
from chatdb.db import chat_messages as q_messages
from chatdb.errors import NotFound
from codegen import migrate
from tests import pgcluster
from tests.reliability_fixtures import (
    APP_TABLES,
    SCHEMA,
    assert_invariants,
    connect,
    open_service,
    scratch_db,
)

pytest_plugins = ["tests.reliability_fixtures"]

ROLES_DIR = Path(__file__).resolve().parent.parent / "schema_roles"
OWNER, APP = "chatdb_owner", "chatdb_app"
TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")


def as_role(dsn: str, role: str) -> str:
    scheme, _, rest = dsn.partition("://")
    return f"{scheme}://{role}@{rest.partition('@')[2]}"


@dataclass
class Secured:
    superuser: str
    owner: str
    app: str


@contextlib.asynccontextmanager
async def secured_db(cluster: pgcluster.Cluster) -> AsyncIterator[Secured]:
    async with scratch_db(cluster, template=None) as dsn:
        async with connect(dsn) as conn:
            await conn.execute((ROLES_DIR / "01_roles.sql").read_text())
        owner = as_role(dsn, OWNER)
        migrate.apply(owner, SCHEMA)
        async with connect(owner) as conn:
            await conn.execute((ROLES_DIR / "02_grants.sql").read_text())
        yield Secured(dsn, owner, as_role(dsn, APP))


@pytest.fixture(scope="module")
async def secured(fault_cluster: pgcluster.Cluster) -> AsyncIterator[Secured]:
    """Shared by the tests that only look (or are refused)."""
    async with secured_db(fault_cluster) as db:
        yield db


@pytest.fixture
async def secured_rw(fault_cluster: pgcluster.Cluster) -> AsyncIterator[Secured]:
    """A database of its own, for a test that writes."""
    async with secured_db(fault_cluster) as db:
        yield db


# --------------------------------------------------------------------------- ownership


async def test_migrations_ran_as_the_owner_and_no_role_has_cluster_powers(
    secured: Secured,
) -> None:
    async with connect(secured.superuser) as conn:
        owners = await conn.fetch(
            "SELECT c.relname, pg_get_userbyid(c.relowner) AS owner FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'S', 'i', 'v')"
        )
        roles = await conn.fetch(
            "SELECT rolname, rolsuper, rolcreatedb, rolcreaterole, rolreplication, "
            "rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = ANY($1)",
            [OWNER, APP],
        )
    names = {r["relname"] for r in owners}
    assert set(APP_TABLES) <= names and "_yoyo_migration" in names
    assert {r["owner"] for r in owners} == {OWNER}
    assert len(roles) == 2
    for r in roles:
        assert r["rolcanlogin"]
        assert not any(r[k] for k in ("rolsuper", "rolcreatedb", "rolcreaterole"))
        assert not r["rolreplication"] and not r["rolbypassrls"]


# --------------------------------------------------------------------------- what the SQL needs


def _walk(node: object) -> Iterator[ast.Node]:
    if isinstance(node, list | tuple):
        for item in node:
            yield from _walk(item)
    elif isinstance(node, ast.Node):
        yield node
        for attr in getattr(type(node), "__slots__", ()):
            yield from _walk(getattr(node, attr, None))


def _relations(node: object) -> set[str]:
    return {n.relname for n in _walk(node) if isinstance(n, ast.RangeVar) and n.relname}


def _name(relation: ast.RangeVar | None) -> str:
    assert relation is not None and relation.relname
    return str(relation.relname)


def needed_privileges(sql: str) -> set[tuple[str, str]]:
    """(table, privilege) pairs PostgreSQL checks for one statement. The system catalogs
    (the runtime's start-up schema check reads pg_class, pg_attribute, ...) are readable by
    every role, so they need no grant."""
    need: set[tuple[str, str]] = set()
    for raw in pglast.parse_sql(sql):
        assert raw.stmt is not None
        need |= _statement_needs(raw.stmt, frozenset())
    return {(t, p) for t, p in need if not t.startswith("pg_")}


def _statement_needs(stmt: ast.Node, outer: frozenset[str]) -> set[tuple[str, str]]:
    """One statement's pairs; each WITH query counts as a statement of its own, and the
    names the WITH clause defines (`outer`: those of enclosing ones) are not tables."""
    need: set[tuple[str, str]] = set()
    ctes = list(getattr(getattr(stmt, "withClause", None), "ctes", None) or ())
    local = outer | {cte.ctename for cte in ctes}
    for cte in ctes:
        need |= _statement_needs(cte.ctequery, local)
    target: str | None = None
    reads_target = False
    if isinstance(stmt, ast.InsertStmt):
        target = _name(stmt.relation)
        need.add((target, "INSERT"))
        if stmt.onConflictClause and stmt.onConflictClause.targetList:  # DO UPDATE SET
            need.add((target, "UPDATE"))
        reads_target = bool(stmt.returningClause or stmt.onConflictClause)
        rest: object = [stmt.selectStmt, stmt.onConflictClause, stmt.returningClause]
    elif isinstance(stmt, ast.UpdateStmt):
        target = _name(stmt.relation)
        need.add((target, "UPDATE"))
        reads_target = True  # WHERE / SET x = x + 1 / RETURNING read it
        rest = [stmt.targetList, stmt.whereClause, stmt.fromClause, stmt.returningClause]
    elif isinstance(stmt, ast.DeleteStmt):
        target = _name(stmt.relation)
        need.add((target, "DELETE"))
        reads_target = bool(stmt.whereClause or stmt.returningClause)
        rest = [stmt.whereClause, stmt.usingClause, stmt.returningClause]
    elif isinstance(stmt, ast.SelectStmt):
        fields: tuple[str, ...] = type(stmt).__slots__  # type: ignore[attr-defined]
        rest = [getattr(stmt, a) for a in fields if a != "withClause"]
        locks = [n for n in _walk(rest) if isinstance(n, ast.LockingClause)]
        if locks:  # FOR UPDATE/SHARE needs UPDATE on the locked tables
            need |= {(t, "UPDATE") for t in _relations(stmt.fromClause) - local}
    elif isinstance(stmt, ast.VariableSetStmt):  # SET LOCAL: a setting, no privilege
        return need
    else:
        raise AssertionError(f"unexpected statement in generated code: {stmt!r:.80}")
    if target and reads_target:
        need.add((target, "SELECT"))
    need |= {(t, "SELECT") for t in _relations(rest) - local if t != target or reads_target}
    return need


_SQL_STARTS = ("-- name:", "SELECT", "WITH", "INSERT", "UPDATE", "DELETE")


def generated_statements() -> dict[str, str]:
    """Every SQL constant of the generated package (the queries' and the runtime's own);
    other constants, such as the runtime's GENERATED_BY, are not SQL."""
    found: dict[str, str] = {}
    for name in chatdb.db.__all__:
        module = getattr(chatdb.db, name)
        for attr, value in vars(module).items():
            if attr.isupper() and isinstance(value, str) and value.startswith(_SQL_STARTS):
                found[f"{name}.{attr}"] = value
    return found


def test_the_statement_analysis_sees_what_postgresql_checks() -> None:
    assert needed_privileges("SELECT * FROM a JOIN b ON true WHERE x IN (SELECT 1 FROM c)") == {
        ("a", "SELECT"),
        ("b", "SELECT"),
        ("c", "SELECT"),
    }
    assert needed_privileges("SELECT * FROM a WHERE id = $1 FOR UPDATE") == {
        ("a", "SELECT"),
        ("a", "UPDATE"),
    }
    assert needed_privileges("INSERT INTO a (x) VALUES ($1)") == {("a", "INSERT")}
    assert needed_privileges("INSERT INTO a (x) VALUES ($1) RETURNING *") == {
        ("a", "INSERT"),
        ("a", "SELECT"),
    }
    assert needed_privileges("DELETE FROM a WHERE id = $1") == {("a", "DELETE"), ("a", "SELECT")}
    assert needed_privileges("UPDATE a SET n = n + 1 WHERE id = $1") == {
        ("a", "UPDATE"),
        ("a", "SELECT"),
    }
    assert needed_privileges(
        "WITH l AS (SELECT * FROM a FOR UPDATE), i AS (INSERT INTO b (x) SELECT 1 RETURNING *)"
        " SELECT * FROM l UNION ALL SELECT * FROM i"
    ) == {("a", "SELECT"), ("a", "UPDATE"), ("b", "INSERT"), ("b", "SELECT")}
    assert len(generated_statements()) > 30


async def test_app_role_has_exactly_the_privileges_its_queries_need(secured: Secured) -> None:
    need: set[tuple[str, str]] = set()
    for sql in generated_statements().values():
        need |= needed_privileges(sql)
    assert {t for t, _ in need} == set(APP_TABLES)  # every table is used, nothing else
    async with connect(secured.superuser) as conn:
        granted = {
            (t, p)
            for t in [*APP_TABLES, "_yoyo_migration", "_yoyo_log", "yoyo_lock", "_yoyo_version"]
            for p in TABLE_PRIVILEGES
            if await conn.fetchval("SELECT has_table_privilege($1, $2, $3)", APP, t, p)
        }
        seq_usage = await conn.fetchval(
            "SELECT has_sequence_privilege($1, 'chat_messages_id_seq', 'USAGE')", APP
        )
        seq_update = await conn.fetchval(
            "SELECT has_sequence_privilege($1, 'chat_messages_id_seq', 'UPDATE')", APP
        )
        grantable = await conn.fetchval(
            "SELECT count(*) FROM information_schema.role_table_grants "
            "WHERE grantee = $1 AND is_grantable = 'YES'",
            APP,
        )
    assert sorted(granted - need) == [], "privileges the queries do not need"
    assert sorted(need - granted) == [], "privileges the queries need but lack"
    assert seq_usage and not seq_update and grantable == 0


# --------------------------------------------------------------------------- what it cannot do


FORBIDDEN = {
    "create table": "CREATE TABLE evil (id int)",
    "drop table": "DROP TABLE chats",
    "alter table add column": "ALTER TABLE chats ADD COLUMN evil int",
    "alter table drop constraint": (
        "ALTER TABLE chat_messages DROP CONSTRAINT chat_messages_account_id_chat_id_fkey"
    ),
    "alter table owner": "ALTER TABLE chats OWNER TO chatdb_app",
    "create index": "CREATE INDEX evil ON chats (title)",
    "drop index": "DROP INDEX chats_account_id_user_id_last_active_idx",
    "truncate": "TRUNCATE chat_messages",
    "create schema": "CREATE SCHEMA evil",
    "create temp table": "CREATE TEMP TABLE evil (id int)",
    "create function": "CREATE FUNCTION evil() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    "create view": "CREATE VIEW evil AS SELECT 1",
    "alter role": "ALTER ROLE chatdb_app SUPERUSER",
    "create role": "CREATE ROLE evil",
    "update messages": "UPDATE chat_messages SET content = 'rewritten'",
    "delete chats": "DELETE FROM chats",  # deleted chats stay as tombstones
    "delete configs": "DELETE FROM chat_model_configs",
    "update accounts": "UPDATE accounts SET name = 'x'",
    "read yoyo": "SELECT * FROM _yoyo_migration",
    "break the migration lock": "DELETE FROM yoyo_lock",
    "setval": "SELECT setval('chat_messages_id_seq', 1)",
}


@pytest.mark.parametrize("statement", list(FORBIDDEN))
async def test_app_role_cannot_run_ddl_or_dml_it_does_not_need(
    secured: Secured, statement: str
) -> None:
    async with connect(secured.app) as conn:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute(FORBIDDEN[statement])


async def test_app_role_cannot_run_migrations(secured: Secured, tmp_path: Path) -> None:
    schema = tmp_path / "schema"
    shutil.copytree(SCHEMA, schema)
    (schema / "0007_evil.sql").write_text(
        "-- depends: 0006_chat_messages_chat_fk\nCREATE TABLE evil (id int);\n"
    )
    (schema / "0007_evil.rollback.sql").write_text("DROP TABLE evil;\n")
    with pytest.raises(migrate.MigrationError, match="permission denied"):
        migrate.apply(secured.app, schema, lock_timeout=0.5)
    async with connect(secured.superuser) as conn:
        assert await conn.fetchval("SELECT to_regclass('evil')") is None


# --------------------------------------------------------------------------- what it can do


async def test_the_service_works_fully_through_the_app_role(secured_rw: Secured) -> None:
    secured = secured_rw
    async with open_service(secured.app, max_size=3) as svc:
        account = await svc.create_account(name="acme")
        user = await svc.create_user(account_id=account.id, email="a@example.com")
        agent = await svc.create_agent(account_id=account.id, name="bot")
        await AdminService(svc.db).create_provider(provider="alpha", display_name="Alpha")
        await AdminService(svc.db).create_provider(
            provider="beta", display_name="Beta", enabled=False
        )
        await AdminService(svc.db).update_provider(
            provider="beta", display_name="Beta 2", enabled=False
        )
        await AdminService(svc.db).set_provider_enabled(provider="beta", enabled=True)
        assert [p.provider for p in await AdminService(svc.db).list_providers()] == [
            "alpha",
            "beta",
        ]
        a0 = await AdminService(svc.db).create_model_config(
            provider="alpha", model="a0", display_name="A0", context_limit=10,
            compression_threshold=5, options={"k": ["v", 1]}, created_by=user.id,
        )  # fmt: skip
        a1 = await AdminService(svc.db).create_model_config(
            provider="alpha", model="a1", display_name="A1", context_limit=10,
            compression_threshold=5,
        )  # fmt: skip
        b0 = await AdminService(svc.db).create_model_config(
            provider="beta", model="b0", display_name="B0", context_limit=10,
            compression_threshold=5,
        )  # fmt: skip
        assert (await AdminService(svc.db).get_model_config(id=a0.id)).is_default
        await AdminService(svc.db).update_model_config(
            id=a1.id, provider="alpha", model="a1", display_name="A1 v2", context_limit=20,
            compression_threshold=6, updated_by=user.id,
        )  # fmt: skip
        assert (await AdminService(svc.db).set_default_model_config(id=b0.id)).is_default
        assert len(await AdminService(svc.db).list_model_configs()) == 3
        assert len(await AdminService(svc.db).list_enabled_model_configs()) == 3

        chat = await svc.create_chat(
            account_id=account.id, user_id=user.id, agent_id=agent.id, title="first"
        )
        new_chat, mid = uuid.uuid4(), uuid.uuid4()
        sent = await svc.send_message(
            account_id=account.id, user_id=user.id, agent_id=agent.id, chat_id=new_chat,
            client_message_id=mid, content="hello",
        )  # fmt: skip
        assert sent.created_chat
        answer = await svc.add_assistant_message(
            account_id=account.id, agent_id=agent.id, chat_id=new_chat,
            client_message_id=uuid.uuid4(), content="x", dax_attempts=["EVALUATE x"],
        )  # fmt: skip
        assert answer.message.role == "assistant"
        again = await svc.send_message(
            account_id=account.id, user_id=user.id, agent_id=agent.id, chat_id=new_chat,
            client_message_id=mid, content="hello",
        )  # fmt: skip
        assert again.duplicate
        assert (
            await svc.resolve_model_for_turn(
                account_id=account.id, user_id=user.id, chat_id=new_chat
            )
        ).id == b0.id
        await svc.set_chat_model(
            account_id=account.id, user_id=user.id, chat_id=chat.id, model_config_id=a1.id
        )
        assert (
            await svc.get_chat(account_id=account.id, user_id=user.id, chat_id=chat.id)
        ).model_config_id == a1.id
        assert len((await svc.list_chats(account_id=account.id, user_id=user.id)).chats) == 2
        assert (
            len(
                (
                    await svc.list_messages(
                        account_id=account.id, user_id=user.id, chat_id=new_chat
                    )
                ).messages
            )
            == 2
        )

        promoted = (await AdminService(svc.db).delete_model_config(id=b0.id)).promoted_default
        assert promoted is not None and promoted.id in (a0.id, a1.id)
        deleted = await AdminService(svc.db).delete_provider(provider="alpha")
        assert deleted.soft_deleted_configs == 2
        await svc.delete_chat(
            account_id=account.id, user_id=user.id, chat_id=new_chat
        )  # deletes its messages
        await AdminService(svc.db).delete_provider(
            provider="alpha"
        )  # a repeat: already deleted (tombstone)
        with pytest.raises(NotFound):
            await svc.get_chat(account_id=account.id, user_id=user.id, chat_id=new_chat)

        # The generated bulk paths: COPY FROM (needs INSERT) and a batch insert.
        copied = q_messages.CopyChatMessagesParams(
            chat.account_id,
            chat.id,
            uuid.uuid4(),
            "user",
            "copied",
            None,
            ["x"],
            None,
            None,
            None,
            a1.id,
        )
        batched = q_messages.InsertChatMessagesBatchParams(
            chat.account_id, chat.id, uuid.uuid4(), "user", "batched", a1.id
        )
        async with svc.db.pool.acquire() as conn:
            assert await q_messages.copy_chat_messages(conn, rows=[copied]) == 1
            await q_messages.insert_chat_messages_batch(conn, params=[batched])
            assert (
                await q_messages.count_chat_messages(
                    conn, account_id=chat.account_id, chat_id=chat.id
                )
                == 2
            )
    async with connect(secured.owner) as conn:
        # The bulk paths bypass the service's bookkeeping of message_count.
        await conn.execute("UPDATE chats SET message_count = 2 WHERE id = $1", chat.id)
    await assert_invariants(secured.owner)
