"""How the service stores a message: the row of its one statement (SendMessage,
AddAssistantMessage) read into a `SentMessage`, and the transactional path that statement
falls back to when it cannot tell (another owner's chat, a concurrent first message or
repeat). A repeat reports what the first attempt stored; the same client_message_id with
another message is a Conflict naming what differs.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TypedDict

from chatdb import validate as v
from chatdb.db import chat_messages as q_messages
from chatdb.db import chatmodelconfigs as q_configs
from chatdb.db import chats as q_chats
from chatdb.db.models import Chat, ChatMessage
from chatdb.errors import Gone, NoDefaultModelConfig, expect_row, found, same_or_conflict
from chatdb.tx import Conn

__all__ = ["SentMessage", "Who", "title_from_message"]

TITLE_FROM_MESSAGE = 50


def title_from_message(content: str) -> str:
    """The chat title: the first 50 characters of its first message."""
    return content[:TITLE_FROM_MESSAGE]


@dataclass(frozen=True)
class SentMessage:
    message: ChatMessage
    chat: Chat
    created_chat: bool  # this message created the chat
    duplicate: bool  # a retry of a message already stored; nothing was written


class Who(TypedDict):
    """Who sends a message: account, user and agent, checked together by the SQL."""

    account_id: uuid.UUID
    user_id: uuid.UUID
    agent_id: uuid.UUID


def message_input(
    acc: uuid.UUID, cid: uuid.UUID, mid: uuid.UUID, role: str, content: object
) -> q_messages.InsertChatMessageParams:
    """A message's validated InsertChatMessage arguments, all but the model config (the
    transaction picks it): what a repeat of the message is compared on."""
    params: q_messages.InsertChatMessageParams = {  # a literal: calling the class costs 2x
        "account_id": acc,
        "chat_id": cid,
        "client_message_id": mid,
        "role": role,
        "content": v.text(content, "content", max_len=v.CONTENT_MAX),
        "action": None,
        "dax_attempts": None,
        "final_dax": None,
        "resolution_note": None,
        "error": None,
    }
    return params


def live(chat: Chat | None) -> Chat:
    """A chat found by an ownership query: missing is NotFound, deleted is Gone."""
    if found(chat).deleted_at is not None:
        raise Gone()
    return chat  # type: ignore[return-value]  # not None: _found checked it


async def sender_chat(conn: Conn, cid: uuid.UUID, who: Who) -> Chat:
    """The user's chat, locked: another user's, account's or agent's chat is NotFound."""
    return live(await q_chats.get_chat_for_sender_for_update(conn, id=cid, **who))


async def send_in_transaction(
    conn: Conn, cid: uuid.UUID, who: Who, msg: q_messages.InsertChatMessageParams
) -> SentMessage:
    """A user's message stored by statements in a transaction (the caller's): one
    statement creates the chat if need be, locks it, returns it and the model config to
    use; no row when another first message created it after the statement began, or when
    it is not the sender's: a second statement tells."""
    row = await q_chats.upsert_chat_for_sender(
        conn, id=cid, **who, title=title_from_message(msg["content"])
    )
    if row is None:
        return await store_message(conn, await sender_chat(conn, cid, who), msg)
    return await insert_message(
        conn, live(row), row.model_config_to_use, msg, created_chat=row.created
    )


async def store_message(
    conn: Conn, chat: Chat, msg: q_messages.InsertChatMessageParams
) -> SentMessage:
    """Resolve the model config (one query), then store the message in the locked chat."""
    config = await q_configs.resolve_chat_model_config(conn, own_id=chat.model_config_id)
    config_id = None if config is None else config.id
    return await insert_message(conn, chat, config_id, msg, created_chat=False)


async def insert_message(
    conn: Conn,
    chat: Chat,
    config_id: uuid.UUID | None,
    msg: q_messages.InsertChatMessageParams,
    *,
    created_chat: bool,
) -> SentMessage:
    """Insert the message and count it in its chat; a retry returns the stored one."""
    mid = msg["client_message_id"]
    if config_id is None:
        # No usable config: a retry of a message stored earlier needs none, it returns
        # the stored message, whatever happened to the configs since.
        stored = await q_messages.get_chat_message_by_client_id(
            conn, account_id=chat.account_id, chat_id=chat.id, client_message_id=mid
        )
        if stored is None:
            raise NoDefaultModelConfig()
        return repeated(stored, chat, msg)
    params: q_messages.InsertChatMessageParams = {**msg, "model_config_id": config_id}
    message = await q_messages.insert_chat_message(conn, **params)
    if message is None:
        existing = await q_messages.get_chat_message_by_client_id(
            conn, account_id=chat.account_id, chat_id=chat.id, client_message_id=mid
        )
        return repeated(expect_row(existing), chat, msg)
    chat = expect_row(
        await q_chats.touch_chat_after_message(conn, id=chat.id, account_id=chat.account_id)
    )
    return SentMessage(message, chat, created_chat=created_chat, duplicate=False)


def sent(
    row: q_chats.SendMessageRow | q_chats.AddAssistantMessageRow,
    msg: q_messages.InsertChatMessageParams,
) -> SentMessage | None:
    """What SendMessage's row says: the message stored now, or a repeat of one stored
    earlier; None when only the transactional path can tell (a concurrent repeat
    committed after the statement began)."""
    chat = live(row.chat)
    if row.message is None:
        if row.model_config_to_use is None:
            raise NoDefaultModelConfig()
        return None
    if row.repeated:
        return repeated(row.message, chat, msg)
    return SentMessage(row.message, chat, created_chat=row.created, duplicate=False)


def repeated(
    stored: ChatMessage, chat: Chat, msg: q_messages.InsertChatMessageParams
) -> SentMessage:
    """A message already stored under this client_message_id: the same request is the
    stored result, another one a Conflict naming what differs. The stored message
    created its chat if one transaction wrote both: one transaction has one now()."""
    same_or_conflict(stored, msg, "A message with this client_message_id")
    created = stored.created_at == chat.created_at
    return SentMessage(stored, chat, created_chat=created, duplicate=True)
