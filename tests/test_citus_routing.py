"""Every generated query judged by Citus's own planner on a real cluster: the recorded
routing file (`docs/citus-routing.json`, read by `describe`, `docs/queries.md` and `vet`) is
what `EXPLAIN` on the coordinator says today; `vet`'s static distribution rule agrees with
the planner on every query; and every query the ChatService runs per request (the queries
its modules call, read from their source; what its operations run, seen on the wire) is a
router query pinned by the account (or a read of a reference table's local copy)."""

from __future__ import annotations

import ast
import asyncio
import dataclasses
import inspect
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from chatdb import admin, sending, service
from chatdb.admin import AdminService
from chatdb.database import Database
from chatdb.db.runtime import create_pool
from chatdb.errors import Conflict, NotFound
from chatdb.service import ChatService
from codegen import config as cfg
from codegen import pipeline
from codegen.analyze import Analysis
from codegen.dba import citus_planner, distribution, routing
from tests.citus_cluster import fetch
from tests.citus_fixtures import citus_db_fixture, citus_fixture, citus_migrated_fixture  # noqa: F401
from tests.conftest import ROOT

pytestmark = pytest.mark.citus
NAMED = re.compile(r"^-- name: (\w+)")  # the generated code's statements start so
TABLES = re.compile(r"\b(?:FROM|INTO|UPDATE|JOIN)\s+(\w+)", re.IGNORECASE)


def project() -> tuple[cfg.Config, pipeline.Result]:
    config = cfg.load(ROOT / "pyproject.toml")
    return config, pipeline.compile_project(config)


def analyses(result: pipeline.Result) -> list[Analysis]:
    return [a for files in result.files.values() for a in files]


def test_the_recorded_routing_is_what_citus_s_planner_says(citus_migrated: str) -> None:
    config, result = project()
    path = routing.routing_path(config)
    assert path is not None, "[tool.codegen] routing is not set"
    judged = asyncio.run(citus_planner.judge_all(citus_migrated, result.files, result.catalog))
    recorded = routing.load(path, config)
    stale = sorted(n for n in judged if recorded.get(n) != judged[n])
    assert not stale, f"{Path(path).name} is stale for {stale}: run codegen routing --dsn ..."
    assert set(recorded) == set(judged)
    assert {r.klass for r in judged.values()} <= set(routing.CLASSES)


def _static_fans_out(a: Analysis, result: pipeline.Result, dist: dict[str, str]) -> bool:
    """vet's static rule on the query, its `-- vet: ignore` markers set aside."""
    query = dataclasses.replace(a.query, vet_ignore=frozenset())
    return bool(distribution.findings(dataclasses.replace(a, query=query), result.catalog, dist))


def test_vet_s_static_rule_agrees_with_the_planner_on_every_query(citus_migrated: str) -> None:
    _, result = project()
    dist = {
        str(t): str(c)
        for t, c in fetch(
            citus_migrated,
            "SELECT table_name::text, distribution_column FROM citus_tables"
            " WHERE citus_table_type = 'distributed'",
        )
    }
    judged = asyncio.run(citus_planner.judge_all(citus_migrated, result.files, result.catalog))
    disagree = {
        a.query.name: judged[a.query.name].describe()
        for a in analyses(result)
        if _static_fans_out(a, result, dist) != (judged[a.query.name].klass in routing.FANS_OUT)
    }
    assert disagree == {}


def _query_names(tree: ast.AST, modules: dict[str, Any]) -> set[str]:
    """The generated queries a piece of code calls: `alias.function` where alias is a
    `chatdb.db` module, named by the `-- name:` line of the function's SQL constant."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            module = modules.get(node.value.id)
            sql = getattr(module, node.attr.upper(), None) if module else None
            names.update(NAMED.findall(sql) if isinstance(sql, str) else [])
    return names


def queries_the_chat_service_calls() -> set[str]:
    """Read from the source: the queries `chatdb.service` and `chatdb.sending` call, and
    those of the functions the service imports from `chatdb.admin`."""
    found: set[str] = set()
    for module in (service, sending):
        tree = ast.parse(inspect.getsource(module))
        aliases = {
            name: value
            for name, value in vars(module).items()
            if inspect.ismodule(value) and value.__name__.startswith("chatdb.db.")
        }
        found |= _query_names(tree, aliases)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "chatdb.admin":
                for alias in node.names:
                    fn = getattr(admin, alias.name)
                    if inspect.isfunction(fn):
                        found |= _query_names(ast.parse(inspect.getsource(fn)), vars(admin))
    return found


class Recorded:
    """The service, with the names of the operations called through it."""

    def __init__(self, svc: ChatService) -> None:
        self.svc, self.called = svc, set[str]()

    def __getattr__(self, name: str) -> Any:
        self.called.add(name)
        return getattr(self.svc, name)


async def _operations(svc: Any, provider_config: uuid.UUID) -> None:
    """Every operation of the ChatService, with its repeat, conflict and not-found paths."""
    account = await svc.create_account(name="a")
    await svc.create_account(id=account.id, name="a")
    acc = account.id
    user = await svc.create_user(account_id=acc, email="u@x")
    await svc.create_user(id=user.id, account_id=acc, email="u@x")
    with pytest.raises(Conflict):
        await svc.create_user(account_id=acc, email="u@x")
    agent = await svc.create_agent(account_id=acc, name="g")
    await svc.create_agent(id=agent.id, account_id=acc, name="g")
    who = {"account_id": acc, "user_id": user.id, "agent_id": agent.id}
    made = await svc.create_chat(**who, chat_id=uuid.uuid4())
    await svc.create_chat(**who, chat_id=made.id)
    chat, mid = uuid.uuid4(), uuid.uuid4()
    for message in (mid, uuid.uuid4(), mid):  # creates the chat, finds it, a repeat
        await svc.send_message(**who, chat_id=chat, client_message_id=message, content="hi")
    await svc.add_assistant_message(
        account_id=acc, agent_id=agent.id, chat_id=chat, client_message_id=uuid.uuid4(),
        content="hello",
    )  # fmt: skip
    owner = {"account_id": acc, "user_id": user.id, "chat_id": chat}
    await svc.set_chat_model(**owner, model_config_id=provider_config)
    await svc.set_chat_model(**owner, model_config_id=None)
    await svc.resolve_model_for_turn(**owner)
    await svc.get_chat(**owner)
    page = await svc.list_chats(account_id=acc, user_id=user.id, limit=1)
    await svc.list_chats(account_id=acc, user_id=user.id, after=page.next)
    await svc.list_messages(**owner, limit=1)
    with pytest.raises(NotFound):
        await svc.get_chat(**owner | {"user_id": uuid.uuid4()})
    await svc.delete_chat(**owner)
    assert (await svc.delete_chat(**owner)).already_deleted


async def _service_statements(dsn: str) -> tuple[set[str], set[str]]:
    """The generated queries every ChatService operation runs on the coordinator, as
    logged on the wire, and the operations called."""
    pool = await create_pool(dsn, min_size=1, max_size=1)
    try:
        svc = ChatService(await Database.over(pool))
        await AdminService(svc.db).create_provider(provider="p", display_name="P")
        config = await AdminService(svc.db).create_model_config(
            provider="p", model="m", display_name="M", context_limit=1, compression_threshold=1
        )
        sent: set[str] = set()
        async with pool.acquire() as conn:
            conn.add_query_logger(lambda r: sent.update(NAMED.findall(r.query)))
        recorded = Recorded(svc)
        await _operations(recorded, config.id)
        return sent, recorded.called
    finally:
        await pool.close()


def _pinned_by_the_account(route: routing.Route, sql: str) -> bool:
    """A router query pinned by the account's id: `account_id`, or `id` where the only
    distributed table is `accounts` (distributed by its own id)."""
    if route.klass == "reference":  # a reference table's copy: one node, no fan-out
        return True
    tables = set(TABLES.findall(sql))
    key = ["id"] if tables == {"accounts"} else ["account_id"]
    return route.klass == "router" and route.pinned_by == key


def test_every_query_the_chat_service_runs_per_request_is_pinned_by_account_id(
    citus_db: str,
) -> None:
    config, result = project()
    routes = routing.load(routing.routing_path(config), config)
    sql = {a.query.name: a.sql for a in analyses(result)}
    sent, called = asyncio.run(_service_statements(citus_db))
    operations = {
        n for n, fn in vars(ChatService).items() if inspect.iscoroutinefunction(fn) and n[0] != "_"
    }
    assert called == operations  # every operation of the service ran
    in_source = queries_the_chat_service_calls()
    assert sent <= in_source and {"UpsertChatForSender", "GetOwnedChat"} <= sent, sent
    found = {
        n: routes[n].describe() for n in in_source if not _pinned_by_the_account(routes[n], sql[n])
    }
    assert found == {}
