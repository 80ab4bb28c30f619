"""Hostile and malformed input through the service, on the session's own cluster.

Property-based (Hypothesis): strings with NUL bytes, lone surrogates, SQL and format
metacharacters, Unicode line separators, BOMs and emoji go into every text field of the
service's writes. Each call either succeeds and the value reads back exactly, or raises
InvalidInput and the database is byte-for-byte unchanged. A value PostgreSQL can store
(valid UTF-8, no NUL) is never refused. No user string ever reaches PostgreSQL as SQL
text: every statement sent is captured with asyncpg's query logger, every generated
string carries a marker, and the marker must never appear in a statement (and must appear
in the bound arguments, proving the capture saw the value go by as a parameter).

Explicit cases: content of exactly the maximum size (ASCII and multi-byte) round-trips,
one character more is InvalidInput; non-JSON option values (NaN, Infinity, sets, bytes)
and JSON nested deeper than anyone needs are InvalidInput and leave nothing half-written
(even when the bad value only fails inside PostgreSQL, after the transaction already
unset the old default); values of the wrong Python type are InvalidInput, never a
TypeError or a driver error.
"""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatdb.admin import AdminService
from chatdb.database import Database
from chatdb.db.runtime import JSONValue, init_connection
from chatdb.errors import DomainError, InvalidInput, NotFound
from chatdb.service import ChatService
from chatdb.validate import CONTENT_MAX
from tests import pgcluster
from tests.reliability_fixtures import (
    FAST_RETRY,
    assert_invariants,
    connect,
    fingerprint,
    scratch_db,
)
from tests.world import World, seed_world

pytest_plugins = ["tests.reliability_fixtures"]

MARKER = "Mq7Zx"  # in every generated string; never in any SQL we send

HOSTILE_PIECES = [
    "\x00",
    "\ud800",
    "\udfff",
    "\ud83d",  # half an emoji
    "'",
    "''",
    '"',
    ";",
    "\\",
    "\\x00",
    "$1",
    "$$",
    "%s",
    "%(x)s",
    "{0}",
    "--",
    "/*",
    "*/",
    "\n",
    "\r\n",
    "\u2028",
    "\ufeff",
    "\u200b",
    "\U0001f600",
    "ü",
    "'; DROP TABLE chats; --",
    "1); DELETE FROM chat_messages; --",
    "' OR '1'='1",
    "E'\\\\'",
    "\\'; SELECT pg_sleep(10); --",
    "null",
    "true",
    "[]",
]

pieces = st.one_of(
    st.text(max_size=12),
    st.text(st.characters(), max_size=6),  # any code point, surrogates included
    st.sampled_from(HOSTILE_PIECES),
)
fragment = st.lists(pieces, max_size=4).map("".join)
marked = st.builds(lambda a, b: a + MARKER + b, fragment, fragment)
blank = st.sampled_from(["", " ", "\t\n", "\u3000", "\u2028"])
hostile_text = st.one_of(marked, marked, marked, blank)

HYPOTHESIS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def storable(value: str) -> bool:
    """What PostgreSQL's text can hold: valid UTF-8 without NUL."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in value


def storable_json(value: JSONValue) -> bool:
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, dict):
        return all(storable(k) and storable_json(v) for k, v in value.items())
    if isinstance(value, list):
        return all(storable_json(v) for v in value)
    return True


def same_json(a: object, b: object) -> bool:
    """Equal and of the same JSON types all the way down: 1e23 coming back as the int
    100000000000000000000000 (or 2.0 as 2) is a difference, though Python's == says not.
    (-0.0 and 0.0 are the same number to jsonb's numeric, and to this.)"""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def strings_in(value: JSONValue) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k, *strings_in(v)]]
    if isinstance(value, list):
        return [s for v in value for s in strings_in(v)]
    return []


# --------------------------------------------------------------------------- fixture


@dataclass
class Sent:
    """The statements and arguments sent to PostgreSQL, captured by a query logger."""

    queries: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)

    def log(self, record: Any) -> None:
        self.queries.append((record.query, tuple(record.args or ())))

    async def settle(self) -> None:
        for _ in range(3):  # loggers run via call_soon
            await asyncio.sleep(0)

    def check_no_user_data_in_sql(self, values: Sequence[object], *, stored: bool = True) -> None:
        """No statement contains the marker; if the values were stored, each storable
        one went by as a bound argument."""
        for sql, _ in self.queries:
            assert MARKER not in sql, f"user data in SQL text: {sql[:300]!r}"
        if not stored:
            return
        sent_args = repr([args for _, args in self.queries])
        for v in values:
            if isinstance(v, str) and MARKER in v and storable(v) and len(v) < 2000:
                assert repr(v)[1:-1] in sent_args, f"{v!r} never went by as a parameter"


@dataclass
class Hostile:
    svc: ChatService
    world: World
    dsn: str
    sent: Sent
    conn: asyncpg.Connection[Any]


@pytest.fixture(scope="module")
async def hostile(fault_cluster: pgcluster.Cluster) -> AsyncIterator[Hostile]:
    sent = Sent()

    async def init(conn: asyncpg.Connection[Any]) -> None:
        await init_connection(conn)
        conn.add_query_logger(sent.log)

    async with scratch_db(fault_cluster) as dsn:
        pool: asyncpg.Pool[Any] = await asyncpg.create_pool(dsn, init=init, min_size=1, max_size=2)
        try:
            svc = ChatService(Database(pool, retry=FAST_RETRY))
            world = await seed_world(svc, providers=("seeded",), configs_per_provider=1)
            async with connect(dsn) as conn:
                yield Hostile(svc, world, dsn, sent, conn)
        finally:
            await pool.close()
        await assert_invariants(dsn)


async def counts(h: Hostile) -> dict[str, int]:
    return {table: n for table, (n, _) in (await fingerprint(h.conn)).items()}


# --------------------------------------------------------------------------- properties


@HYPOTHESIS
@given(
    content=hostile_text,
    final_dax=st.none() | hostile_text,
    note=st.none() | hostile_text,
    error=st.none() | hostile_text,
    attempts=st.none() | st.lists(hostile_text, max_size=3),
)
async def test_send_message_round_trips_or_is_invalid_input(
    hostile: Hostile,
    content: str,
    final_dax: str | None,
    note: str | None,
    error: str | None,
    attempts: list[str] | None,
) -> None:
    h = hostile
    chat_id, mid = uuid.uuid4(), uuid.uuid4()
    await h.svc.create_chat(**h.world.who, chat_id=chat_id)
    before = await fingerprint(h.conn)
    h.sent.queries.clear()
    texts = [content, final_dax, note, error, *(attempts or [])]
    ok = content.strip() != "" and all(storable(t) for t in texts if t is not None)
    try:
        sent = await h.svc.add_assistant_message(
            account_id=h.world.account_id,
            agent_id=h.world.agent_id,
            chat_id=chat_id,
            client_message_id=mid,
            content=content,
            action="QUERY",
            dax_attempts=attempts,
            final_dax=final_dax,
            resolution_note=note,
            error=error,
        )
    except InvalidInput:
        assert not ok, "a storable message was refused"
        assert await fingerprint(h.conn) == before
        await h.sent.settle()
        h.sent.check_no_user_data_in_sql(texts, stored=False)
        return
    assert ok, "an unstorable message was accepted"
    page = await h.svc.list_messages(
        account_id=h.world.account_id, user_id=h.world.user_id, chat_id=chat_id
    )
    assert len(page.messages) == 1
    m = page.messages[0]
    assert m == sent.message
    assert (m.content, m.final_dax, m.resolution_note, m.error) == (content, final_dax, note, error)
    assert m.dax_attempts == attempts
    chat = await h.svc.get_chat(
        account_id=h.world.account_id, user_id=h.world.user_id, chat_id=chat_id
    )
    assert chat.message_count == 1
    after = await fingerprint(h.conn)
    assert after["chats"][0] == before["chats"][0]
    assert after["chat_messages"][0] == before["chat_messages"][0] + 1
    await h.sent.settle()
    h.sent.check_no_user_data_in_sql(texts)


json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1e23, 1e16, 2.0, 1.5e300, 5e-324, 1.7976931348623157e308, 0.1]),
    hostile_text,
)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(hostile_text, inner, max_size=3),
    max_leaves=8,
)


@HYPOTHESIS
@given(
    provider=marked,
    display_name=hostile_text,
    model=hostile_text,
    options=st.dictionaries(hostile_text, json_value, max_size=4),
)
async def test_provider_and_model_config_round_trip_or_are_invalid_input(
    hostile: Hostile, provider: str, display_name: str, model: str, options: dict[str, JSONValue]
) -> None:
    h = hostile
    provider += uuid.uuid4().hex  # unique per example; still hostile
    stored: list[str] = []
    before = await fingerprint(h.conn)
    h.sent.queries.clear()
    ok_provider = display_name.strip() != "" and storable(provider) and storable(display_name)
    try:
        row = await AdminService(h.svc.db).create_provider(
            provider=provider, display_name=display_name
        )
    except InvalidInput:
        assert not ok_provider, "a storable provider was refused"
        assert await fingerprint(h.conn) == before
    else:
        assert ok_provider, "an unstorable provider was accepted"
        stored += [provider, display_name]
        assert (row.provider, row.display_name) == (provider, display_name)
        assert row in await AdminService(h.svc.db).list_providers()

        before = await fingerprint(h.conn)
        ok = model.strip() != "" and storable(model) and storable_json(options)
        try:
            cfg = await AdminService(h.svc.db).create_model_config(
                provider=provider,
                model=model,
                display_name=display_name,
                context_limit=2**63 - 1,
                compression_threshold=100,
                options=options,
            )
        except InvalidInput:
            assert not ok, "a storable model config was refused"
            assert await fingerprint(h.conn) == before
        else:
            assert ok, "an unstorable model config was accepted"
            stored += [model, *strings_in(options)]
            got = await AdminService(h.svc.db).get_model_config(id=cfg.id)
            assert got == cfg
            assert (got.provider, got.model, got.display_name) == (provider, model, display_name)
            assert same_json(got.options, options)
    await h.sent.settle()
    h.sent.check_no_user_data_in_sql(
        [provider, display_name, model, *strings_in(options)], stored=False
    )
    h.sent.check_no_user_data_in_sql(stored)


@HYPOTHESIS
@given(name=hostile_text, email=hostile_text, display=st.none() | hostile_text, title=hostile_text)
async def test_accounts_users_agents_and_chat_titles_round_trip_or_are_invalid_input(
    hostile: Hostile, name: str, email: str, display: str | None, title: str
) -> None:
    h = hostile
    h.sent.queries.clear()
    stored: list[str | None] = []

    async def attempt(ok: bool, call: Any, *values: str | None) -> Any:
        before = await fingerprint(h.conn)
        try:
            result = await call
        except InvalidInput:
            assert not ok, "a storable value was refused"
            assert await fingerprint(h.conn) == before
            return None
        assert ok, "an unstorable value was accepted"
        stored.extend(values)
        return result

    usable = name.strip() != "" and storable(name)
    account = await attempt(usable, h.svc.create_account(name=name), name)
    if account is not None:
        assert account.name == name
        email += uuid.uuid4().hex  # unique per example; still hostile
        email_ok = storable(email)
        display_ok = display is None or storable(display)
        user = await attempt(
            email_ok and display_ok,
            h.svc.create_user(account_id=account.id, email=email, display_name=display),
            email,
            display,
        )
        if user is not None:
            assert (user.email, user.display_name) == (email, display)
        agent = await attempt(True, h.svc.create_agent(account_id=account.id, name=name))
        assert agent is not None and agent.name == name
    title_ok = title.strip() != "" and storable(title)
    chat = await attempt(title_ok, h.svc.create_chat(**h.world.who, title=title), title)
    if chat is not None:
        got = await h.svc.get_chat(
            account_id=h.world.account_id, user_id=h.world.user_id, chat_id=chat.id
        )
        assert got.title == title
    await h.sent.settle()
    h.sent.check_no_user_data_in_sql([name, email, display, title], stored=False)
    h.sent.check_no_user_data_in_sql(stored)


wrong_types = st.one_of(
    st.integers(),
    st.floats(),
    st.binary(max_size=8),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    st.just(object()),
)


@settings(max_examples=30, deadline=None)
@given(value=wrong_types, text=st.text(max_size=40))
async def test_wrong_types_and_malformed_ids_are_invalid_input(
    hostile: Hostile, value: object, text: str
) -> None:
    """Each call gets one bad argument; it is InvalidInput unless the value happens to be
    valid after all (then: success, or NotFound for an id that does not exist)."""
    h = hostile
    svc, who, user = h.svc, h.world.who, h.world.user_id
    bad: Any = value  # deliberately the wrong type for the parameter it is passed as
    is_uuid = _is_uuid(text)
    count = isinstance(value, int) and 1 <= value <= 500
    limit = isinstance(value, int) and 1 <= value <= 2**63 - 1
    options = isinstance(value, dict) and all(storable(k) for k in value)

    def send(**kw: Any) -> Any:
        args: dict[str, Any] = {
            **who,
            "chat_id": uuid.uuid4(),
            "client_message_id": uuid.uuid4(),
            "content": "x",
            **kw,
        }
        return svc.send_message(**args)

    def assist(**kw: Any) -> Any:
        args: dict[str, Any] = {
            "account_id": who["account_id"],
            "agent_id": who["agent_id"],
            "chat_id": uuid.uuid4(),  # no such chat: valid input is NotFound
            "client_message_id": uuid.uuid4(),
            "content": "x",
            **kw,
        }
        return svc.add_assistant_message(**args)

    def config(**kw: Any) -> Any:
        args: dict[str, Any] = {
            "provider": "seeded",
            "model": "m",
            "display_name": "d",
            "context_limit": 1,
            "compression_threshold": 1,
            **kw,
        }
        return AdminService(svc.db).create_model_config(**args)

    calls: list[tuple[bool, Callable[[], Awaitable[object]]]] = [
        (False, lambda: send(content=value)),
        (is_uuid, lambda: send(chat_id=text)),
        (False, lambda: send(user_id=value)),
        (text == "user", lambda: send(role=text)),
        (value == [], lambda: assist(dax_attempts=value)),
        (
            count,
            lambda: svc.list_messages(
                account_id=who["account_id"], user_id=user, chat_id=uuid.uuid4(), limit=bad
            ),
        ),
        (False, lambda: svc.list_chats(account_id=who["account_id"], user_id=user, after=value)),  # type: ignore[arg-type]
        (False, lambda: AdminService(svc.db).set_provider_enabled(provider="seeded", enabled=bad)),
        (limit, lambda: config(context_limit=bad)),
        (options, lambda: config(options=value)),
        (is_uuid, lambda: AdminService(svc.db).get_model_config(id=text)),
    ]
    before = await fingerprint(h.conn)
    wrote = False
    for n, (acceptable, call) in enumerate(calls):
        try:
            await call()
        except InvalidInput:
            assert not acceptable, (n, value, text)
            continue
        except DomainError as exc:
            assert acceptable and isinstance(exc, NotFound), (n, value, text, exc)
            continue
        assert acceptable, (n, value, text)
        wrote = wrote or n in (1, 3, 4, 8, 9)
    if not wrote:
        assert await fingerprint(h.conn) == before


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------- explicit cases


@pytest.mark.parametrize("char", ["x", "é", "\U0001f600"], ids=["ascii", "2-byte", "4-byte"])
async def test_content_of_maximum_size_round_trips_and_one_more_is_invalid(
    hostile: Hostile, char: str
) -> None:
    h = hostile
    chat_id = uuid.uuid4()
    content = char * CONTENT_MAX
    sent = await h.svc.send_message(
        **h.world.who, chat_id=chat_id, client_message_id=uuid.uuid4(), content=content
    )
    assert sent.message.content == content
    page = await h.svc.list_messages(
        account_id=h.world.account_id, user_id=h.world.user_id, chat_id=chat_id
    )
    assert page.messages[0].content == content
    before = await fingerprint(h.conn)
    with pytest.raises(InvalidInput):
        await h.svc.send_message(
            **h.world.who, chat_id=chat_id, client_message_id=uuid.uuid4(), content=content + char
        )
    assert await fingerprint(h.conn) == before


@pytest.mark.parametrize(
    "bad",
    [math.nan, math.inf, -math.inf, {1, 2}, b"bytes", object()],
    ids=["nan", "inf", "-inf", "set", "bytes", "object"],
)
async def test_non_json_options_are_invalid_input_and_leave_nothing_half_written(
    hostile: Hostile, bad: object
) -> None:
    h = hostile
    target = await AdminService(h.svc.db).create_model_config(
        provider="seeded",
        model="target",
        display_name="t",
        context_limit=10,
        compression_threshold=1,
    )
    before = await fingerprint(h.conn)
    # is_default: the transaction unsets the current default before the bad value is
    # sent; all of it must be rolled back.
    with pytest.raises(InvalidInput):
        await AdminService(h.svc.db).create_model_config(
            provider="seeded",
            model="m",
            display_name="d",
            context_limit=10,
            compression_threshold=1,
            options={"x": [1, {"y": bad}]},  # type: ignore[dict-item]
            is_default=True,
        )
    with pytest.raises(InvalidInput):
        await AdminService(h.svc.db).update_model_config(
            id=target.id,
            provider="seeded",
            model="m",
            display_name="d",
            context_limit=10,
            compression_threshold=1,
            options={"x": bad},  # type: ignore[dict-item]
            is_default=True,
        )
    assert await fingerprint(h.conn) == before
    await assert_invariants(h.dsn)


def nested(depth: int) -> dict[str, JSONValue]:
    value: dict[str, JSONValue] = {"leaf": "ü"}
    for _ in range(depth):
        value = {"n": value}
    return value


async def test_reasonably_nested_options_round_trip(hostile: Hostile) -> None:
    h = hostile
    options = nested(200)
    cfg = await AdminService(h.svc.db).create_model_config(
        provider="seeded",
        model="deep",
        display_name="d",
        context_limit=10,
        compression_threshold=1,
        options=options,
    )
    assert (await AdminService(h.svc.db).get_model_config(id=cfg.id)).options == options


async def test_absurdly_nested_options_are_invalid_input_not_a_crash(hostile: Hostile) -> None:
    h = hostile
    before = await fingerprint(h.conn)
    with pytest.raises(InvalidInput):
        await AdminService(h.svc.db).create_model_config(
            provider="seeded",
            model="deeper",
            display_name="d",
            context_limit=10,
            compression_threshold=1,
            options=nested(100_000),
        )
    assert await fingerprint(h.conn) == before
