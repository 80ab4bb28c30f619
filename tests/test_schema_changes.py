"""Schema changes without surprises (issue 10): lock-safe migrations beside a busy service,
checksums of applied migrations, the drift check and offline SQL.

Expected migrations come from schema/ (`migration_ids`); fixtures add migrations named
`zz_test_*`, which can never collide with a real one.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from pathlib import Path

import asyncpg

from codegen import migrate
from tests.conftest import ROOT, migration_ids, run_codegen
from tests.reliability_fixtures import open_service, seed_world

SCHEMA = ROOT / "schema"
MIGRATIONS = migration_ids()
FK_MIGRATION = "0006_chat_messages_chat_fk"
BEFORE_FK = MIGRATIONS[MIGRATIONS.index(FK_MIGRATION) - 1]


def cli(*args: str, dsn: str | None = None, cwd: Path = ROOT) -> tuple[int, str, str]:
    run = run_codegen("migrate", *(["--dsn", dsn] if dsn else []), *args, cwd=cwd)
    assert "Traceback" not in run.stderr
    return run.returncode, run.stdout, run.stderr


# --------------------------------------------------------------------------- 0006, busy service


async def _deadlocks(conn: asyncpg.Connection[asyncpg.Record]) -> int:
    """Deadlocks PostgreSQL detected in this database (cumulative statistics)."""
    await conn.execute("SELECT pg_stat_clear_snapshot()")
    n: int = await conn.fetchval(
        "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
    )
    return n


async def busy_service_during(
    dsn: str, change: Callable[[], None], senders: int = 8, seconds_before: float = 0.3
) -> tuple[list[uuid.UUID], list[BaseException]]:
    """Run `change` (in a thread) while `senders` tasks call send_message at full rate.

    Returns the client_message_ids the service acknowledged and the errors it raised."""
    acked: list[uuid.UUID] = []
    errors: list[BaseException] = []
    stop = asyncio.Event()
    async with open_service(dsn, min_size=senders, max_size=senders) as svc:
        world = await seed_world(svc, providers=("alpha",), configs_per_provider=1)

        async def sender(i: int) -> None:
            chat = uuid.uuid4()
            n = 0
            while not stop.is_set():
                if n % 4 == 0:  # a new chat now and then: INSERT into chats, then messages
                    chat = uuid.uuid4()
                mid = uuid.uuid4()
                try:
                    await svc.send_message(
                        **world.who, chat_id=chat, client_message_id=mid, content=f"{i}/{n}"
                    )
                except Exception as exc:
                    errors.append(exc)
                else:
                    acked.append(mid)
                n += 1

        tasks = [asyncio.create_task(sender(i)) for i in range(senders)]
        try:
            await asyncio.sleep(seconds_before)
            await asyncio.to_thread(change)
            await asyncio.sleep(seconds_before)
        finally:
            stop.set()
            await asyncio.gather(*tasks)
    return acked, errors


async def test_0006_applies_and_rolls_back_beside_a_busy_service(empty_db: str) -> None:
    """8 tasks send messages at full rate while 0006 is applied, rolled back and applied
    again: no deadlock (PostgreSQL's own counter), no service error, nothing lost.
    The previous 0006 (locks chat_messages, then chats) deadlocked here every time."""
    migrate.apply(empty_db, SCHEMA, revision=BEFORE_FK)
    reports: list[str] = []
    applied: list[list[str]] = []

    def cycle() -> None:
        kw = {"lock_timeout": 30.0, "report": reports.append}
        applied.append(migrate.apply(empty_db, SCHEMA, FK_MIGRATION, **kw))  # type: ignore[arg-type]
        applied.append(migrate.rollback(empty_db, SCHEMA, FK_MIGRATION, **kw))  # type: ignore[arg-type]
        applied.append(migrate.apply(empty_db, SCHEMA, FK_MIGRATION, **kw))  # type: ignore[arg-type]

    conn = await asyncpg.connect(empty_db)
    try:
        before = await _deadlocks(conn)
        acked, errors = await busy_service_during(empty_db, cycle)
        await asyncio.sleep(1.0)  # statistics are flushed by backends at most once a second
        deadlocks = await _deadlocks(conn) - before
        stored = await conn.fetchval(
            "SELECT count(*) FROM chat_messages WHERE client_message_id = ANY($1::uuid[])", acked
        )
        valid = await conn.fetchval(
            "SELECT convalidated FROM pg_constraint WHERE conname = 'chat_messages_chat_id_fkey'"
        )
    finally:
        await conn.close()
    assert applied == [[FK_MIGRATION]] * 3
    assert errors == []
    assert deadlocks == 0, reports
    assert not [r for r in reports if "deadlock" in r], reports
    assert len(acked) > 100 and stored == len(acked)
    assert valid is True
