"""Every generated query judged by Citus's own planner on a real cluster: the recorded
routing file (`docs/citus-routing.json`, read by `describe`, `docs/queries.md` and `vet`) is
what `EXPLAIN` on the coordinator says today; `vet`'s static distribution rule agrees with
the planner on every query; and the statements a send runs are router queries pinned by
`account_id`, seen on the wire."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from chatdb.admin import AdminService
from chatdb.database import Database
from chatdb.db.runtime import create_pool
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


async def _send_statements(dsn: str) -> list[str]:
    """The generated queries one send runs, as logged on its connection."""
    pool = await create_pool(dsn, min_size=1, max_size=1)
    try:
        svc = ChatService(await Database.over(pool))
        admin = AdminService(svc.db)
        account = await svc.create_account(name="a")
        user = await svc.create_user(account_id=account.id, email="u@x")
        agent = await svc.create_agent(account_id=account.id, name="g")
        await admin.create_provider(provider="p", display_name="P")
        await admin.create_model_config(
            provider="p", model="m", display_name="M", context_limit=1, compression_threshold=1
        )
        sent: list[str] = []
        async with pool.acquire() as conn:
            conn.add_query_logger(lambda r: sent.extend(NAMED.findall(r.query)))
        for _ in range(2):  # the first creates the chat, the second finds it
            await svc.send_message(
                account_id=account.id,
                user_id=user.id,
                agent_id=agent.id,
                chat_id=uuid.UUID(int=7),
                client_message_id=uuid.uuid4(),
                content="hi",
            )
        return sent
    finally:
        await pool.close()


def test_a_send_runs_only_router_queries_pinned_by_account_id(citus_db: str) -> None:
    config, _ = project()
    sent = asyncio.run(_send_statements(citus_db))
    assert "InsertChatMessage" in sent and "UpsertChatForSender" in sent, sent
    path = routing.routing_path(config)
    routes = routing.load(path, config)
    found: dict[str, Any] = {n: routes[n].describe() for n in sent}
    assert all(v == "router (pinned by account_id)" for v in found.values()), found
