"""The send path as it was before its round trips were cut from 9 to 5: the bench's baseline.

A frozen copy, never to be edited: the SQL is copied as the generated code sent it
(commit 8798ca9), and so is the service's order of calls — BEGIN (with the SET LOCAL
timeouts), EnsureChat, GetChatForSenderForUpdate, GetEnabledChatModelConfigByID (when the
chat has its own config), GetUsableDefaultChatModelConfig, InsertChatMessage,
TouchChatAfterMessage, COMMIT — on a pool with asyncpg's own reset query on release: 8
round trips per send on an existing chat with no config of its own. Validation, retry
and error mapping are today's (`chatdb.tx`), so the two sides differ only in what goes
over the wire. `throughput.py` runs it beside the current service in the same run.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from chatdb import validate as v
from chatdb.errors import Gone, NoDefaultModelConfig, expect_row, found
from chatdb.tx import Conn, RetryPolicy, run_in_transaction

# fmt: off
ENSURE_CHAT = """\
-- name: EnsureChat :execrows
INSERT INTO chats (id, account_id, user_id, agent_id, title, model_config_id)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (id) DO NOTHING"""

GET_CHAT_FOR_SENDER_FOR_UPDATE = """\
-- name: GetChatForSenderForUpdate :one
SELECT id, account_id, user_id, agent_id, title, status, last_active,
    message_count, model_config_id, created_at, updated_at,
    deleted_at FROM chats
WHERE id = $1 AND account_id = $2 AND user_id = $3 AND agent_id = $4
FOR UPDATE"""

TOUCH_CHAT_AFTER_MESSAGE = """\
-- name: TouchChatAfterMessage :one
UPDATE chats
SET message_count = message_count + 1,
    last_active = NOW(),
    updated_at = NOW()
WHERE id = $1
RETURNING id, account_id, user_id, agent_id, title, status, last_active,
    message_count, model_config_id, created_at, updated_at, deleted_at"""

GET_ENABLED_CHAT_MODEL_CONFIG_BY_ID = """\
-- name: GetEnabledChatModelConfigByID :one
SELECT
cmc.id, cmc.provider, cmc.model, cmc.display_name, cmc.created_by,
    cmc.updated_by, cmc.enabled, cmc.is_default, cmc.context_limit,
    cmc.compression_threshold, cmc.options, cmc.deleted, cmc.deleted_at,
    cmc.created_at, cmc.updated_at
FROM
chat_model_configs cmc
-- Providers can be disabled independently of their model configs.
-- Check both to ensure the selected config is actually usable.
JOIN
chat_providers cp ON cp.provider = cmc.provider
WHERE
cmc.id = $1::uuid
AND cmc.deleted = FALSE
AND cmc.enabled = TRUE
AND cp.enabled = TRUE"""

GET_USABLE_DEFAULT_CHAT_MODEL_CONFIG = """\
-- name: GetUsableDefaultChatModelConfig :one
SELECT cmc.id, cmc.provider, cmc.model, cmc.display_name, cmc.created_by,
    cmc.updated_by, cmc.enabled, cmc.is_default, cmc.context_limit,
    cmc.compression_threshold, cmc.options, cmc.deleted, cmc.deleted_at,
    cmc.created_at, cmc.updated_at
FROM chat_model_configs cmc
JOIN chat_providers cp ON cp.provider = cmc.provider
WHERE cmc.is_default = TRUE
  AND cmc.deleted = FALSE
  AND cmc.enabled = TRUE
  AND cp.enabled = TRUE"""

INSERT_CHAT_MESSAGE = """\
-- name: InsertChatMessage :one
INSERT INTO chat_messages (
    chat_id, client_message_id, role, content, action, dax_attempts,
    final_dax, resolution_note, error, model_config_id
) VALUES (
    $1, $2, $3, $4, $5,
    $6, $7, $8,
    $9, $10
)
ON CONFLICT (chat_id, client_message_id) DO NOTHING
RETURNING id, chat_id, client_message_id, role, content, action, dax_attempts,
    final_dax, resolution_note, error, model_config_id, created_at"""

GET_CHAT_MESSAGE_BY_CLIENT_ID = """\
-- name: GetChatMessageByClientID :one
SELECT id, chat_id, client_message_id, role, content, action, dax_attempts,
    final_dax, resolution_note, error, model_config_id,
    created_at FROM chat_messages
WHERE chat_id = $1 AND client_message_id = $2"""
# fmt: on

POOL_OPTIONS: dict[str, Any] = {
    # a plain asyncpg connection (plain COMMIT) and asyncpg's reset query on release
    "connection_class": asyncpg.Connection,
    "reset": None,
}


class BaselineSend:
    """`send_message` of the baseline: same arguments, returns the stored message row."""

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
    ) -> object:
        who = (
            v.as_uuid(account_id, "account_id"),
            v.as_uuid(user_id, "user_id"),
            v.as_uuid(agent_id, "agent_id"),
        )
        cid = v.as_uuid(chat_id, "chat_id")
        mid = v.as_uuid(client_message_id, "client_message_id")
        text = v.text(content, "content", max_len=v.CONTENT_MAX)

        async def work(conn: Conn) -> object:
            await conn.execute(ENSURE_CHAT, cid, *who, text[:50], None)
            chat = found(await conn.fetchrow(GET_CHAT_FOR_SENDER_FOR_UPDATE, cid, *who))
            if chat["deleted_at"] is not None:
                raise Gone()
            config = await _resolve(conn, chat["model_config_id"])
            args = (cid, mid, role, text, None, None, None, None, None, config["id"])
            message = await conn.fetchrow(INSERT_CHAT_MESSAGE, *args)
            if message is None:
                return expect_row(await conn.fetchrow(GET_CHAT_MESSAGE_BY_CLIENT_ID, cid, mid))
            expect_row(await conn.fetchrow(TOUCH_CHAT_AFTER_MESSAGE, cid))
            return message

        return await run_in_transaction(self.pool, work, self.retry)


async def _resolve(conn: Conn, own: uuid.UUID | None) -> asyncpg.Record:
    if own is not None:
        config: asyncpg.Record | None = await conn.fetchrow(
            GET_ENABLED_CHAT_MODEL_CONFIG_BY_ID, own
        )
        if config is not None:
            return config
    default: asyncpg.Record | None = await conn.fetchrow(GET_USABLE_DEFAULT_CHAT_MODEL_CONFIG)
    if default is None:
        raise NoDefaultModelConfig()
    return default
