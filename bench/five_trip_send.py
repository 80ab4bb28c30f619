"""The send path as it was before it became one statement: the bench's baseline.

Five round trips per send: BEGIN (with the SET LOCAL bounds), UpsertChatForSender (the
chat created or locked, the model config resolved), InsertChatMessage,
TouchChatAfterMessage, COMMIT with the pool's session reset, as `ChatService.send_message`
ran them before (commit 6bfbe2a): `chatdb.sending.send_in_transaction`, which the
one-statement send still falls back to, in a transaction of `chatdb.tx`, so the two
sides differ only in what goes over the wire.
`throughput.py` and `latency.py` run it beside the service in the same run.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from chatdb import sending
from chatdb import validate as v
from chatdb.tx import Conn, RetryPolicy, run_in_transaction

ROUND_TRIPS = 5
# The runtime pool, as the service used it then: COMMIT and the session reset in one
# message (runtime.Connection.commit_and_reset).
POOL_OPTIONS: dict[str, Any] = {}


class FiveTripSend:
    """`send_message` of the five-round-trip path: same arguments, same result."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self.pool = pool
        self.retry = RetryPolicy()

    async def __call__(
        self,
        *,
        account_id: uuid.UUID,
        user_id: uuid.UUID,
        agent_id: uuid.UUID,
        chat_id: uuid.UUID,
        client_message_id: uuid.UUID,
        content: str,
        role: str = "user",
    ) -> sending.SentMessage:
        who = sending.Who(
            account_id=v.as_uuid(account_id, "account_id"),
            user_id=v.as_uuid(user_id, "user_id"),
            agent_id=v.as_uuid(agent_id, "agent_id"),
        )
        cid = v.as_uuid(chat_id, "chat_id")
        msg = sending.message_input(who["account_id"], cid,
                                    v.as_uuid(client_message_id, "client_message_id"),
                                    role, content)  # fmt: skip

        async def work(conn: Conn) -> sending.SentMessage:
            return await sending.send_in_transaction(conn, cid, who, msg)

        return await run_in_transaction(self.pool, work, self.retry)
