"""Concurrency under load, on the session's own PostgreSQL cluster.

* A soak: N tasks run a random mix of every service operation — messages into shared
  chats (first messages racing to create a chat, client retries of stored messages),
  provider creates/updates/deletes, model config creates/updates/deletes, default
  changes, chat model changes, chat deletes and reads — for a fixed time. Afterwards
  every invariant is checked (at most one live default and one whenever a live config
  exists, no live config without a provider, no message without a chat, message_count
  right, no client message id stored twice, every message resolves its model config)
  and every acknowledged message is accounted for: stored exactly once unless its chat
  was deleted, and nothing stored that was not acknowledged. Only the domain errors a
  race can legitimately produce are allowed; an InternalError, a TransientError (retries
  exhausted: a lock-order bug) or a non-domain exception fails the soak. A summary of
  operations and errors by type is printed.

  `test_soak_short` (5 s, 32 tasks) runs in the default suite; `test_soak_long` (60 s,
  32 tasks) and `test_soak_with_killed_backends` (30 s, a backend killed every ~0.5 s)
  are marked `soak`: ``pytest -m soak tests/test_soak.py``.
* The races the chat issue names, each checked exactly: a provider delete racing config
  creates/updates, many defaults set at once, many first messages into one new chat.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from chatdb.admin import AdminService
from chatdb.db.models import ChatModelConfig
from chatdb.errors import (
    Conflict,
    DomainError,
    Gone,
    NoDefaultModelConfig,
    NotFound,
    OutcomeUnknown,
    ProviderNotConfigured,
    TransientError,
)
from chatdb.service import ChatService, ProviderDeleted
from tests.reliability_fixtures import (
    assert_invariants,
    connect,
    invariant_violations,
    open_service,
)
from tests.world import World, seed_world

pytest_plugins = ["tests.reliability_fixtures"]

PROVIDERS = [f"prov{i}" for i in range(5)]


# --------------------------------------------------------------------------- the soak


@dataclass
class Soak:
    svc: ChatService
    world: World
    seed: int
    chats: list[uuid.UUID] = field(default_factory=list)
    configs: list[uuid.UUID] = field(default_factory=list)
    acked: dict[uuid.UUID, tuple[uuid.UUID, str]] = field(default_factory=dict)
    deleted_chats: set[uuid.UUID] = field(default_factory=set)
    ops: Counter[str] = field(default_factory=Counter)
    errors: Counter[tuple[str, str]] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    killed: int = 0
    chaos: bool = False


# The domain errors each operation may raise when it loses a race. (A resend meeting
# NoDefaultModelConfig although its message is stored is a service bug, pinned down
# deterministically by test_faults.py::test_client_retry_of_a_stored_message_needs_no_
# model_config; the soak only counts it.)
EXPECTED: dict[str, tuple[type[DomainError], ...]] = {
    "send_message": (NotFound, NoDefaultModelConfig, Gone),
    "resend_message": (NotFound, NoDefaultModelConfig, Gone),
    "read_chat": (NotFound, NoDefaultModelConfig),
    "list_chats": (),
    "set_chat_model": (NotFound,),
    "delete_chat": (NotFound,),
    "create_provider": (Conflict,),
    "update_provider": (NotFound,),
    "set_provider_enabled": (NotFound,),
    "delete_provider": (NotFound,),
    # Conflict: asked to make a config of a disabled provider (or a disabled one) the default
    "create_model_config": (ProviderNotConfigured, Conflict),
    "update_model_config": (NotFound, ProviderNotConfigured, Conflict),
    "set_default_model_config": (NotFound, Conflict),
    "delete_model_config": (NotFound,),
    "list_configs": (),
}


async def op_send_message(s: Soak, rng: random.Random) -> None:
    if not s.chats or rng.random() < 0.15:
        chat_id = uuid.uuid4()
        s.chats.append(chat_id)  # others may now race to send its first message too
    else:
        chat_id = rng.choice(s.chats)
    mid = uuid.uuid4()
    content = f"{rng.choice(['hi', 'héllo', 'SELECT 1;', 'đź'])} {rng.random()}"
    await _send(s, chat_id, mid, content)


async def op_resend_message(s: Soak, rng: random.Random) -> None:
    if not s.acked:
        return
    mid = rng.choice(list(s.acked))
    chat_id, content = s.acked[mid]
    sent = await _send(s, chat_id, mid, content)
    # A retry of a stored message writes nothing; if its chat was deleted meanwhile it
    # is Gone (a deleted chat is never re-created).
    assert sent.duplicate


async def _send(s: Soak, chat_id: uuid.UUID, mid: uuid.UUID, content: str) -> Any:
    for _ in range(50):
        try:
            sent = await s.svc.send_message(
                **s.world.who, chat_id=chat_id, client_message_id=mid, content=content
            )
        except (TransientError, OutcomeUnknown) as exc:
            if not s.chaos:
                raise
            s.errors[("send_message (retried)", type(exc).__name__)] += 1
            continue
        assert sent.message.content == content and sent.message.chat_id == chat_id
        s.acked[mid] = (chat_id, content)
        return sent
    raise AssertionError("a message could not be stored in 50 tries")


async def op_read_chat(s: Soak, rng: random.Random) -> None:
    if not s.chats:
        return
    chat_id = rng.choice(s.chats)
    which = rng.randrange(3)
    if which == 0:
        chat = await s.svc.get_chat(
            account_id=s.world.account_id, user_id=s.world.user_id, chat_id=chat_id
        )
        assert chat.id == chat_id
    elif which == 1:
        page = await s.svc.list_messages(
            account_id=s.world.account_id, user_id=s.world.user_id, chat_id=chat_id, limit=50
        )
        ids = [m.id for m in page.messages]
        assert ids == sorted(ids)
    else:
        await s.svc.resolve_model_for_turn(
            account_id=s.world.account_id, user_id=s.world.user_id, chat_id=chat_id
        )


async def op_list_chats(s: Soak, rng: random.Random) -> None:
    page = await s.svc.list_chats(
        account_id=s.world.account_id, user_id=s.world.user_id, limit=rng.randint(1, 20)
    )
    keys = [(c.last_active, c.id) for c in page.chats]
    assert keys == sorted(keys, reverse=True)


async def op_set_chat_model(s: Soak, rng: random.Random) -> None:
    if not s.chats:
        return
    cfg = rng.choice(s.configs) if s.configs and rng.random() < 0.8 else None
    chat = await s.svc.set_chat_model(
        account_id=s.world.account_id,
        user_id=s.world.user_id,
        chat_id=rng.choice(s.chats),
        model_config_id=cfg,
    )
    assert chat.model_config_id == cfg


async def op_delete_chat(s: Soak, rng: random.Random) -> None:
    if len(s.chats) < 5:
        return
    chat_id = rng.choice(s.chats)
    s.deleted_chats.add(chat_id)  # before: a send racing with the delete is uncertain
    await s.svc.delete_chat(account_id=s.world.account_id, user_id=s.world.user_id, chat_id=chat_id)


async def op_create_provider(s: Soak, rng: random.Random) -> None:
    name = rng.choice(PROVIDERS)
    row = await AdminService(s.svc.db).create_provider(provider=name, display_name=name.upper())
    assert row.provider == name


async def op_update_provider(s: Soak, rng: random.Random) -> None:
    name = rng.choice(PROVIDERS)
    row = await AdminService(s.svc.db).update_provider(
        provider=name, display_name=f"{name} {rng.randrange(100)}", enabled=rng.random() < 0.9
    )
    assert row.provider == name


async def op_set_provider_enabled(s: Soak, rng: random.Random) -> None:
    enabled = rng.random() < 0.7
    row = await AdminService(s.svc.db).set_provider_enabled(
        provider=rng.choice(PROVIDERS), enabled=enabled
    )
    assert row.enabled is enabled


async def op_delete_provider(s: Soak, rng: random.Random) -> None:
    if rng.random() < 0.5:  # keep providers around long enough to be useful
        return
    await AdminService(s.svc.db).delete_provider(provider=rng.choice(PROVIDERS))


async def op_create_model_config(s: Soak, rng: random.Random) -> None:
    provider = rng.choice(PROVIDERS)
    is_default = rng.random() < 0.2
    row = await AdminService(s.svc.db).create_model_config(
        provider=provider,
        model=f"m{rng.randrange(6)}",
        display_name="soak model",
        context_limit=rng.randint(1, 200_000),
        compression_threshold=rng.randint(0, 100),
        options={"temperature": rng.randrange(10), "tags": ["a", "ü"]},
        is_default=is_default,
    )
    assert row.provider == provider and (row.is_default or not is_default)
    s.configs.append(row.id)


async def op_update_model_config(s: Soak, rng: random.Random) -> None:
    if not s.configs:
        return
    provider = rng.choice(PROVIDERS)
    row = await AdminService(s.svc.db).update_model_config(
        id=rng.choice(s.configs),
        provider=provider,
        model=f"m{rng.randrange(6)}",
        display_name="updated",
        context_limit=4096,
        compression_threshold=50,
        enabled=(enabled := rng.random() < 0.85),
        is_default=enabled and rng.random() < 0.2,  # a disabled config is never the default
    )
    assert row.provider == provider


async def op_set_default_model_config(s: Soak, rng: random.Random) -> None:
    if not s.configs:
        return
    row = await AdminService(s.svc.db).set_default_model_config(id=rng.choice(s.configs))
    assert row.is_default


async def op_delete_model_config(s: Soak, rng: random.Random) -> None:
    if not s.configs:
        return
    await AdminService(s.svc.db).delete_model_config(id=rng.choice(s.configs))


async def op_list_configs(s: Soak, rng: random.Random) -> None:
    which = rng.randrange(3)
    if which == 0:
        rows = await AdminService(s.svc.db).list_model_configs()
        assert sum(r.is_default for r in rows) <= 1
    elif which == 1:
        await AdminService(s.svc.db).list_enabled_model_configs()
    else:
        await AdminService(s.svc.db).list_providers()


OPS: list[tuple[Callable[[Soak, random.Random], Awaitable[None]], int]] = [
    (op_send_message, 30),
    (op_resend_message, 5),
    (op_read_chat, 10),
    (op_list_chats, 3),
    (op_set_chat_model, 4),
    (op_delete_chat, 2),
    (op_create_provider, 3),
    (op_update_provider, 2),
    (op_set_provider_enabled, 2),
    (op_delete_provider, 2),
    (op_create_model_config, 6),
    (op_update_model_config, 4),
    (op_set_default_model_config, 4),
    (op_delete_model_config, 3),
    (op_list_configs, 5),
]


async def soak_task(s: Soak, n: int, deadline: float) -> None:
    rng = random.Random(s.seed * 1000 + n)
    funcs, weights = zip(*OPS, strict=True)
    while time.monotonic() < deadline:
        op = rng.choices(funcs, weights)[0]
        name = op.__name__.removeprefix("op_")
        s.ops[name] += 1
        try:
            await op(s, rng)
        except DomainError as exc:
            s.errors[(name, type(exc).__name__)] += 1
            allowed = EXPECTED[name] + ((TransientError, OutcomeUnknown) if s.chaos else ())
            if not isinstance(exc, allowed):
                s.unexpected.append(f"{name}: {exc!r} caused by {exc.__cause__!r}")
        except Exception as exc:  # a non-domain exception escaped the service
            s.errors[(name, type(exc).__name__)] += 1
            s.unexpected.append(f"{name}: {exc!r}")


async def chaos_task(s: Soak, dsn: str, deadline: float, rng: random.Random) -> None:
    """Terminate a random backend of the service's pool every ~0.5 s."""
    async with connect(dsn) as admin:
        while time.monotonic() < deadline:
            await asyncio.sleep(rng.uniform(0.2, 0.8))
            pid = await admin.fetchval(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND backend_type = 'client backend' AND pid <> pg_backend_pid() "
                "ORDER BY random() LIMIT 1"
            )
            if pid is not None and await admin.fetchval("SELECT pg_terminate_backend($1)", pid):
                s.killed += 1


def summary(s: Soak, seconds: float, tasks: int) -> str:
    total = sum(s.ops.values())
    lines = [
        f"soak: {tasks} tasks, {seconds:.1f} s, seed {s.seed}: {total} operations "
        f"({total / seconds:.0f}/s), {len(s.acked)} messages acknowledged, "
        f"{len(s.deleted_chats)} chats deleted, {s.killed} backends killed",
        f"  {'operation':<26}{'runs':>8}  errors by type",
    ]
    for name, n in s.ops.most_common():
        errs = ", ".join(f"{e}={c}" for (op, e), c in sorted(s.errors.items()) if op == name)
        lines.append(f"  {name:<26}{n:>8}  {errs or '-'}")
    retried = s.errors.get(("send_message (retried)", "TransientError"), 0)
    if retried:
        lines.append(f"  send_message retried after TransientError: {retried}")
    by_type = Counter[str]()
    for (_, e), c in s.errors.items():
        by_type[e] += c
    lines.append(f"  errors by type: {dict(by_type.most_common()) or 'none'}")
    return "\n".join(lines)


async def account_for_messages(s: Soak, dsn: str) -> None:
    """Every stored message was acknowledged (same chat, same content); every
    acknowledged message of a chat never deleted is stored."""
    async with connect(dsn) as conn:
        rows = await conn.fetch("SELECT client_message_id, chat_id, content FROM chat_messages")
        resurrected = await conn.fetchval(
            "SELECT count(*) FROM chat_messages m JOIN chats c ON c.id = m.chat_id "
            "WHERE c.deleted_at IS NOT NULL"
        )
    assert resurrected == 0, "a deleted chat has messages again"
    stored = {r["client_message_id"]: (r["chat_id"], r["content"]) for r in rows}
    assert len(stored) == len(rows)
    for mid, where in stored.items():
        assert s.acked.get(mid) == where, f"message {mid} stored but never acknowledged"
    missing = [
        mid
        for mid, (chat_id, _) in s.acked.items()
        if chat_id not in s.deleted_chats and mid not in stored
    ]
    assert missing == [], f"{len(missing)} acknowledged messages lost"


async def run_soak(
    dsn: str,
    *,
    seconds: float,
    tasks: int,
    capsys: pytest.CaptureFixture[str],
    chaos: bool = False,
) -> Soak:
    seed = int(os.environ.get("SOAK_SEED", random.randrange(1_000_000)))
    async with open_service(dsn, min_size=4, max_size=20) as svc:
        world = await seed_world(svc, providers=tuple(PROVIDERS[:3]), configs_per_provider=2)
        s = Soak(svc, world, seed, chaos=chaos)
        s.configs = [c for ids in world.configs.values() for c in ids]
        began = time.monotonic()
        deadline = began + seconds
        workers = [soak_task(s, n, deadline) for n in range(tasks)]
        if chaos:
            workers.append(chaos_task(s, dsn, deadline, random.Random(seed)))
        await asyncio.wait_for(asyncio.gather(*workers), timeout=seconds + 120)
        elapsed = time.monotonic() - began
    with capsys.disabled():
        print("\n" + summary(s, elapsed, tasks))
    assert s.unexpected == [], "\n".join(s.unexpected[:20])
    assert s.ops["send_message"] > 0 and s.acked, "the soak did no work"
    await assert_invariants(dsn)
    await account_for_messages(s, dsn)
    return s


async def test_soak_short(fault_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    s = await run_soak(fault_db, seconds=5, tasks=32, capsys=capsys)
    assert sum(s.ops.values()) > 500


@pytest.mark.soak
async def test_soak_long(fault_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    s = await run_soak(fault_db, seconds=60, tasks=32, capsys=capsys)
    assert sum(s.ops.values()) > 5000


@pytest.mark.soak
async def test_soak_with_killed_backends(fault_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    s = await run_soak(fault_db, seconds=30, tasks=32, capsys=capsys, chaos=True)
    assert s.killed > 10


# --------------------------------------------------------------------------- named races


async def test_provider_delete_racing_config_creates_and_updates(fault_db: str) -> None:
    async with open_service(fault_db, max_size=16) as svc, connect(fault_db) as conn:
        world = await seed_world(svc, providers=("stable",), configs_per_provider=2)
        for round_ in range(5):
            await AdminService(svc.db).create_provider(provider="doomed", display_name="Doomed")
            own = [
                (
                    await AdminService(svc.db).create_model_config(
                        provider="doomed",
                        model=f"d{i}",
                        display_name="d",
                        context_limit=1000,
                        compression_threshold=10,
                        is_default=(i == 0 and round_ % 2 == 0),  # sometimes the default
                    )
                ).id
                for i in range(3)
            ]
            movers = world.configs["stable"][:1] if round_ == 4 else []  # stable -> doomed

            async def create(i: int) -> Any:
                return await AdminService(svc.db).create_model_config(
                    provider="doomed",
                    model=f"new{i}",
                    display_name="n",
                    context_limit=1000,
                    compression_threshold=10,
                    is_default=i % 4 == 0,
                )

            async def deleting() -> ProviderDeleted:
                return await AdminService(svc.db).delete_provider(provider="doomed")

            async def update(cfg: uuid.UUID, i: int) -> Any:
                return await AdminService(svc.db).update_model_config(
                    id=cfg,
                    provider="doomed",
                    model=f"upd{i}",
                    display_name="u",
                    context_limit=2000,
                    compression_threshold=20,
                    is_default=i == 1,
                )

            n_creates, n_updates = 10, len(own) + len(movers)
            calls: list[Awaitable[Any]] = [create(i) for i in range(n_creates)]
            calls += [update(cfg, i) for i, cfg in enumerate(own + movers)]
            calls.insert(random.Random(round_).randrange(len(calls) + 1), deleting())
            results = await asyncio.gather(*calls, return_exceptions=True)
            deleted = [r for r in results if isinstance(r, ProviderDeleted)]
            assert len(deleted) == 1, results
            others = [r for r in results if not isinstance(r, ProviderDeleted)]
            assert len(others) == n_creates + n_updates
            for r in others:  # written before the delete, or refused after it
                assert not isinstance(r, BaseException) or isinstance(r, ProviderNotConfigured), r
            written = [r for r in results if isinstance(r, ChatModelConfig)]
            created = sum(1 for r in written if r.model.startswith("new"))
            moved = sum(1 for r in written if r.id in movers)
            # Everything written to the provider before the delete was soft-deleted by it.
            assert deleted[0].soft_deleted_configs == len(own) + created + moved
            assert "doomed" not in {p.provider for p in await AdminService(svc.db).list_providers()}
            assert (
                await conn.fetchval(
                    "SELECT count(*) FROM chat_model_configs "
                    "WHERE provider = 'doomed' AND NOT deleted"
                )
                == 0
            )
            await assert_invariants(fault_db)
        # A default still exists: the stable provider's configs were promoted as needed.
        assert any(c.is_default for c in await AdminService(svc.db).list_model_configs())


async def test_many_defaults_set_at_once(fault_db: str) -> None:
    async with open_service(fault_db, max_size=16) as svc, connect(fault_db) as conn:
        world = await seed_world(svc, providers=("a", "b", "c"), configs_per_provider=4)
        ids = [c for cs in world.configs.values() for c in cs]
        for round_ in range(3):
            order = ids * 2
            random.Random(round_).shuffle(order)
            rows = await asyncio.gather(
                *(AdminService(svc.db).set_default_model_config(id=i) for i in order)
            )
            assert all(r.is_default for r in rows)
            live = await conn.fetch(
                "SELECT id FROM chat_model_configs WHERE is_default AND NOT deleted"
            )
            assert len(live) == 1 and live[0]["id"] in ids
            await assert_invariants(fault_db)

        # Defaults set while the default is deleted and new defaults are created.
        victim = live[0]["id"]
        results = await asyncio.gather(
            AdminService(svc.db).delete_model_config(id=victim),
            *(AdminService(svc.db).set_default_model_config(id=i) for i in ids),
            *(
                AdminService(svc.db).create_model_config(
                    provider="a",
                    model=f"new{i}",
                    display_name="n",
                    context_limit=10,
                    compression_threshold=1,
                    is_default=True,
                )
                for i in range(4)
            ),
            return_exceptions=True,
        )
        failures = [r for r in results if isinstance(r, BaseException)]
        assert all(isinstance(f, NotFound) for f in failures), failures
        assert len(failures) <= 1  # only setting the deleted config as default can fail
        await assert_invariants(fault_db)
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM chat_model_configs WHERE is_default AND NOT deleted"
            )
            == 1
        )


async def test_many_messages_into_one_new_chat(fault_db: str) -> None:
    async with open_service(fault_db, max_size=16) as svc:
        world = await seed_world(svc)
        chat_id = uuid.uuid4()
        mids = [uuid.uuid4() for _ in range(40)]
        sent = await asyncio.gather(
            *(
                svc.send_message(
                    **world.who, chat_id=chat_id, client_message_id=m, content=f"message {n}"
                )
                for n, m in enumerate(mids)
            )
        )
        assert sum(x.created_chat for x in sent) == 1
        assert not any(x.duplicate for x in sent)
        page = await svc.list_messages(
            account_id=world.account_id, user_id=world.user_id, chat_id=chat_id
        )
        assert sorted(m.client_message_id for m in page.messages) == sorted(mids)
        assert (
            await svc.get_chat(account_id=world.account_id, user_id=world.user_id, chat_id=chat_id)
        ).message_count == 40
        # Each message's own stored row came back; message_count rose one per message.
        assert sorted(x.chat.message_count for x in sent) == list(range(1, 41))

        # The same message sent 12 times at once (a client retrying hard): stored once.
        other_chat, mid = uuid.uuid4(), uuid.uuid4()
        same = await asyncio.gather(
            *(
                svc.send_message(
                    **world.who, chat_id=other_chat, client_message_id=mid, content="again"
                )
                for _ in range(12)
            )
        )
        assert sum(not x.duplicate for x in same) == 1
        assert len({x.message.id for x in same}) == 1
        assert (
            await svc.get_chat(
                account_id=world.account_id, user_id=world.user_id, chat_id=other_chat
            )
        ).message_count == 1
        chats = await svc.list_chats(account_id=world.account_id, user_id=world.user_id)
        assert sorted(c.id for c in chats.chats) == sorted([chat_id, other_chat])
    await assert_invariants(fault_db)


async def test_the_invariant_checks_catch_each_violation(fault_db: str) -> None:
    """The checks the soak relies on can fail: break each invariant behind the
    service's back (dropping the constraints that would stop it) and see it reported."""
    async with open_service(fault_db) as svc:
        world = await seed_world(svc, providers=("p",), configs_per_provider=2)
        second = world.configs["p"][1]
        chat_a, chat_b, mid = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        for chat_id in (chat_a, chat_b):
            await svc.send_message(
                **world.who, chat_id=chat_id, client_message_id=mid, content="same id"
            )
    async with connect(fault_db) as conn:
        assert await invariant_violations(conn) == [f"client_message_id {mid} stored 2 times"]
        await conn.execute(
            "DROP INDEX chat_model_configs_one_default;"
            "ALTER TABLE chat_messages DROP CONSTRAINT chat_messages_account_id_chat_id_fkey;"
        )
        await conn.execute("UPDATE chat_model_configs SET is_default = true WHERE id = $1", second)
        await conn.execute(
            "INSERT INTO chat_model_configs (provider, model, display_name, context_limit, "
            "compression_threshold) VALUES ('gone', 'm', 'd', 1, 1)"
        )
        await conn.execute("UPDATE chats SET message_count = 7 WHERE id = $1", chat_a)
        await conn.execute("DELETE FROM chats WHERE id = $1", chat_b)
        await conn.execute(
            "UPDATE chat_messages SET model_config_id = NULL WHERE chat_id = $1", chat_a
        )
        found = await invariant_violations(conn)
        await conn.execute("UPDATE chat_model_configs SET is_default = false")
        no_default = await invariant_violations(conn)
        await conn.execute(
            "UPDATE chat_model_configs SET is_default = true, enabled = false WHERE id = $1",
            second,
        )
        unusable_default = await invariant_violations(conn)
    assert found == [
        "2 live default model configs",
        "1 live model configs without a provider",
        "1 messages without a chat",
        f"chat {chat_a}: message_count 7 but 1 messages",
        f"client_message_id {mid} stored 2 times",
        "1 messages without a model config",
    ]
    assert "3 live model configs but no default" in no_default
    assert "1 usable model configs but the default is not usable" in unusable_default
