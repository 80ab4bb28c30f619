"""The chat backend's service layer: each operation is one asyncpg transaction.

Thin on purpose: all SQL lives in `queries/*.sql` and is called through the generated
`chatdb.db` functions; input rules live in `validate.py`; failures are mapped in `tx.py`.
This module orders the calls, takes the locks that make the seed failures impossible,
and turns outcomes into typed domain errors.

Ownership is checked by the queries themselves (a chat is looked up by its id *and*
its user, account or agent), never re-written here; the schema adds that a chat's user
and agent belong to the chat's account (composite foreign keys, migration 0007).

Every write is safe to repeat after an unknown outcome (`OutcomeUnknown`): creates take
client-chosen ids (or are idempotent on their natural key; without an id the error
carries the one chosen), sends on `client_message_id`, and deletes report "already
deleted" instead of NotFound. A repeat reports what the first attempt did; the same id
with another request is a Conflict naming what differs. A
deleted chat stays deleted: its row remains as a tombstone, so no late retry re-creates it.

Lock order, the same in every operation that takes more than one: the provider row
(`FOR UPDATE`), then the default-model-config advisory lock, then config/chat rows. A
consistent order is what keeps concurrent admin operations free of deadlocks.

Round trips are the cost of a send: BEGIN with its bounds, one statement that
creates/locks/returns the chat and picks the model config, the message insert, the
chat's counter, and COMMIT with the pool's session reset — five. Reads may go to a
replica pool (`Database(replica=...)`): `get_chat`, `list_chats`, `list_messages` and
`resolve_model_for_turn`, each with `fresh=True` to read the primary instead (read your
own writes, e.g. listing a chat right after sending to it). Writes never do.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import TypedDict

from chatdb import validate as v
from chatdb.admin import ConfigDeleted, ProviderDeleted, resolve_model
from chatdb.database import Database, choose_id
from chatdb.db import accounts as q_accounts
from chatdb.db import chat_messages as q_messages
from chatdb.db import chatmodelconfigs as q_configs
from chatdb.db import chats as q_chats
from chatdb.db.models import Account, Agent, Chat, ChatMessage, ChatModelConfig, User
from chatdb.errors import (
    Conflict,
    Gone,
    InvalidInput,
    NoDefaultModelConfig,
    expect_row,
    found,
    same_or_conflict,
)
from chatdb.tx import Conn
from chatdb.validate import Id

__all__ = [
    "ChatCursor",
    "ChatDeleted",
    "ChatPage",
    "ChatService",
    "ConfigDeleted",
    "MessagePage",
    "ProviderDeleted",
    "SentMessage",
    "title_from_message",
]

ASSISTANT_ROLES = frozenset({"assistant", "system"})  # written by add_assistant_message only
ACTIONS = frozenset({"DESCRIBE", "QUERY", "ERROR"})
TITLE_FROM_MESSAGE = 50


@dataclass(frozen=True)
class SentMessage:
    message: ChatMessage
    chat: Chat
    created_chat: bool  # this message created the chat
    duplicate: bool  # a retry of a message already stored; nothing was written


@dataclass(frozen=True)
class ChatDeleted:
    chat_id: uuid.UUID
    already_deleted: bool = False  # a repeated delete


@dataclass(frozen=True)
class ChatCursor:
    last_active: datetime.datetime
    id: uuid.UUID


@dataclass(frozen=True)
class ChatPage:
    chats: list[Chat]
    next: ChatCursor | None


@dataclass(frozen=True)
class MessagePage:
    messages: list[ChatMessage]
    next_after_id: int | None


def title_from_message(content: str) -> str:
    """The chat title: the first 50 characters of its first message."""
    return content[:TITLE_FROM_MESSAGE]


class ChatService:
    """The chat service: accounts, chats and messages; each method is one transaction.
    The admin operations are `AdminService`'s, a sibling over the same `Database`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- accounts, users, agents (minimal; ids may be chosen by the client) ---------

    async def create_account(self, *, name: str, id: Id | None = None) -> Account:
        name = v.text(name, "name", max_len=v.NAME_MAX)
        new_id = choose_id(id, "id")

        async def work(conn: Conn) -> Account:
            return same_or_conflict(
                await q_accounts.insert_account_with_id(conn, id=new_id, name=name)
                or await q_accounts.get_account_by_id(conn, id=new_id),
                {"name": name},
                "An account with this id",
            )

        return await self.db.transaction(work, created_id=new_id)

    async def create_user(
        self, *, account_id: Id, email: str, display_name: str | None = None, id: Id | None = None
    ) -> User:
        acc = v.as_uuid(account_id, "account_id")
        email = v.text(email, "email", max_len=v.NAME_MAX)
        display = v.opt_text(display_name, "display_name", max_len=v.NAME_MAX)
        new_id = choose_id(id, "id")

        async def work(conn: Conn) -> User:
            row = await q_accounts.insert_user_with_id(
                conn, id=new_id, account_id=acc, email=email, display_name=display
            ) or await q_accounts.get_account_user_by_id(conn, id=new_id, account_id=acc)
            if row is None:  # the id is another account's user, or the email is taken here
                taken = await q_accounts.get_user_by_id(conn, id=new_id) is not None
                raise Conflict(f"A user with this {'id' if taken else 'email'} already exists.")
            return same_or_conflict(
                row, {"email": email, "display_name": display}, "A user with this id"
            )

        return await self.db.transaction(work, created_id=new_id)

    async def create_agent(self, *, account_id: Id, name: str, id: Id | None = None) -> Agent:
        acc = v.as_uuid(account_id, "account_id")
        name = v.text(name, "name", max_len=v.NAME_MAX)
        new_id = choose_id(id, "id")

        async def work(conn: Conn) -> Agent:
            return same_or_conflict(
                await q_accounts.insert_agent_with_id(conn, id=new_id, account_id=acc, name=name)
                or await q_accounts.get_account_agent_by_id(conn, id=new_id, account_id=acc),
                {"name": name},
                "An agent with this id",
            )

        return await self.db.transaction(work, created_id=new_id)

    # -- chats ---------------------------------------------------------------------

    async def create_chat(
        self,
        *,
        account_id: Id,
        user_id: Id,
        agent_id: Id,
        title: str | None = None,
        model_config_id: Id | None = None,
        chat_id: Id | None = None,
    ) -> Chat:
        """Create a chat; with a client-chosen `chat_id`, a repeat returns the stored chat
        (Gone if it was deleted since: a deleted chat is never re-created; Conflict if
        its title or model config differ). Without one, an OutcomeUnknown carries the
        id this call chose: repeat with `chat_id=error.created_id`."""
        who = _who(account_id, user_id, agent_id)
        title = "New Chat" if title is None else v.text(title, "title", max_len=v.TITLE_MAX)
        cfg = v.opt_uuid(model_config_id, "model_config_id")
        cid = choose_id(chat_id, "chat_id")

        async def work(conn: Conn) -> Chat:
            row = await q_chats.insert_chat_with_id(
                conn, id=cid, **who, title=title, model_config_id=cfg
            )
            return same_or_conflict(
                row or await _sender_chat(conn, cid, who),
                {"title": title, "model_config_id": cfg},
                "A chat with this id",
            )

        return await self.db.transaction(work, created_id=cid)

    async def send_message(
        self,
        *,
        account_id: Id,
        user_id: Id,
        agent_id: Id,
        chat_id: Id,
        client_message_id: Id,
        content: str,
        role: str = "user",
    ) -> SentMessage:
        """Store a user's message, creating its chat first if this is its first message.

        The chat row always exists before its message (and the FK enforces it). One
        transaction; a retry with the same client_message_id returns the stored
        message and writes nothing (a Conflict if the text differs). Users write user
        turns only (`role` must be "user"); assistant and system turns go through
        `add_assistant_message`.
        """
        who = _who(account_id, user_id, agent_id)
        cid = v.as_uuid(chat_id, "chat_id")
        mid = v.as_uuid(client_message_id, "client_message_id")
        if role != "user":
            raise InvalidInput("role must be user; add_assistant_message writes the others.")
        msg = _message_input(who["account_id"], cid, mid, "user", content)

        async def work(conn: Conn) -> SentMessage:
            # One statement creates the chat if need be, locks it, returns it and the
            # model config to use; no row when another first message created it after the
            # statement began, or when it is not the sender's: a second statement tells.
            row = await q_chats.upsert_chat_for_sender(
                conn, id=cid, **who, title=title_from_message(msg["content"])
            )
            if row is None:
                return await _store_message(conn, await _sender_chat(conn, cid, who), msg)
            chat = _live(row)  # the row starts with the chat: it is a Chat
            return await _insert_message(
                conn, chat, row.model_config_to_use, msg, created_chat=row.created
            )

        return await self.db.transaction(work)

    async def add_assistant_message(
        self,
        *,
        account_id: Id,
        agent_id: Id,
        chat_id: Id,
        client_message_id: Id,
        content: str,
        role: str = "assistant",
        action: str | None = None,
        dax_attempts: list[str] | None = None,
        final_dax: str | None = None,
        resolution_note: str | None = None,
        error: str | None = None,
    ) -> SentMessage:
        """The assistant side: store an assistant or system turn in an existing chat of
        this agent in this account. Idempotent on client_message_id, like send_message."""
        acc, agt = v.as_uuid(account_id, "account_id"), v.as_uuid(agent_id, "agent_id")
        cid = v.as_uuid(chat_id, "chat_id")
        mid = v.as_uuid(client_message_id, "client_message_id")
        msg = _message_input(acc, cid, mid, v.choice(role, "role", ASSISTANT_ROLES), content)
        msg["action"] = None if action is None else v.choice(action, "action", ACTIONS)
        msg["dax_attempts"] = v.string_list(dax_attempts, "dax_attempts")
        msg["final_dax"] = v.opt_text(final_dax, "final_dax", max_len=v.CONTENT_MAX)
        msg["resolution_note"] = v.opt_text(
            resolution_note, "resolution_note", max_len=v.CONTENT_MAX
        )
        msg["error"] = v.opt_text(error, "error", max_len=v.CONTENT_MAX)

        async def work(conn: Conn) -> SentMessage:
            chat = await q_chats.get_chat_for_agent_for_update(
                conn, id=cid, account_id=acc, agent_id=agt
            )
            return await _store_message(conn, _live(chat), msg)

        return await self.db.transaction(work)

    async def resolve_model_for_turn(
        self, *, user_id: Id, chat_id: Id, fresh: bool = False
    ) -> ChatModelConfig:
        """The config a new turn uses: the chat's own if still usable, else the usable
        default; NoDefaultModelConfig when there is none. Read from the replica
        when there is one, unless `fresh` (see `Database.read`)."""
        usr, cid = v.as_uuid(user_id, "user_id"), v.as_uuid(chat_id, "chat_id")

        async def work(conn: Conn) -> ChatModelConfig:
            chat = found(await q_chats.get_owned_chat(conn, id=cid, user_id=usr))
            return await resolve_model(conn, chat)

        return await self.db.read(work, fresh=fresh)

    async def set_chat_model(self, *, user_id: Id, chat_id: Id, model_config_id: Id | None) -> Chat:
        usr, cid = v.as_uuid(user_id, "user_id"), v.as_uuid(chat_id, "chat_id")
        cfg = v.opt_uuid(model_config_id, "model_config_id")

        async def work(conn: Conn) -> Chat:
            if cfg is not None:
                found(await q_configs.get_enabled_chat_model_config_by_id(conn, id=cfg))
            return found(
                await q_chats.set_chat_model_config(conn, model_config_id=cfg, id=cid, user_id=usr)
            )

        return await self.db.transaction(work)

    async def get_chat(self, *, user_id: Id, chat_id: Id, fresh: bool = False) -> Chat:
        """The user's chat; from the replica when there is one, unless `fresh`."""
        usr, cid = v.as_uuid(user_id, "user_id"), v.as_uuid(chat_id, "chat_id")

        async def work(conn: Conn) -> Chat:
            return found(await q_chats.get_owned_chat(conn, id=cid, user_id=usr))

        return await self.db.read(work, fresh=fresh)

    async def list_chats(
        self, *, user_id: Id, limit: int = 50, after: ChatCursor | None = None, fresh: bool = False
    ) -> ChatPage:
        """A user's chats, most recent activity first; pass `page.next` for the next page.
        From the replica when there is one, unless `fresh`."""
        usr = v.as_uuid(user_id, "user_id")
        limit = v.integer(limit, "limit", 1, v.PAGE_MAX)
        if after is not None and not isinstance(after, ChatCursor):
            raise InvalidInput("after must be a ChatCursor from a previous page.")

        async def work(conn: Conn) -> ChatPage:
            chats = await q_chats.list_chats_by_user(
                conn,
                user_id=usr,
                after_last_active=after.last_active if after else None,
                after_id=after.id if after else None,
                page_size=limit + 1,
            )
            more = len(chats) > limit
            chats = chats[:limit]
            nxt = ChatCursor(chats[-1].last_active, chats[-1].id) if more else None
            return ChatPage(chats, nxt)

        return await self.db.read(work, fresh=fresh)

    async def list_messages(
        self,
        *,
        user_id: Id,
        chat_id: Id,
        after_id: int = 0,
        limit: int = 100,
        fresh: bool = False,
    ) -> MessagePage:
        """A chat's messages in order. History of a chat whose model config was deleted
        reads unchanged: messages keep pointing at the soft-deleted config. From the
        replica when there is one, unless `fresh` (a list right after a send: use it)."""
        usr, cid = v.as_uuid(user_id, "user_id"), v.as_uuid(chat_id, "chat_id")
        after = v.integer(after_id, "after_id", 0, 2**63 - 1)
        limit = v.integer(limit, "limit", 1, v.PAGE_MAX)

        async def work(conn: Conn) -> MessagePage:
            chat = found(await q_chats.get_owned_chat(conn, id=cid, user_id=usr))
            rows = await q_messages.list_chat_messages(
                conn, account_id=chat.account_id, chat_id=cid, after_id=after, page_size=limit + 1
            )
            more = len(rows) > limit
            rows = rows[:limit]
            return MessagePage(rows, rows[-1].id if more else None)

        return await self.db.read(work, fresh=fresh)

    async def delete_chat(self, *, user_id: Id, chat_id: Id) -> ChatDeleted:
        """Delete a chat and its messages. The chat row stays as a tombstone (title
        erased), so the id is never used again; a repeat reports `already_deleted`."""
        usr, cid = v.as_uuid(user_id, "user_id"), v.as_uuid(chat_id, "chat_id")

        async def work(conn: Conn) -> ChatDeleted:
            # The account first (Citus locks only by the distribution column), then the lock.
            acc = found(await q_chats.get_owned_chat_account(conn, id=cid, user_id=usr))
            state = found(
                await q_chats.get_owned_chat_state_for_update(
                    conn, id=cid, account_id=acc, user_id=usr
                )
            )
            if state.deleted_at is not None:
                return ChatDeleted(cid, already_deleted=True)
            expect_row(await q_chats.delete_chat(conn, id=cid, account_id=acc, user_id=usr))
            await q_messages.delete_chat_messages_by_chat(
                conn, account_id=state.account_id, chat_id=cid
            )
            return ChatDeleted(cid)

        return await self.db.transaction(work)


# -- helpers shared by operations ------------------------------------------------------


class _Who(TypedDict):
    account_id: uuid.UUID
    user_id: uuid.UUID
    agent_id: uuid.UUID


def _who(account_id: object, user_id: object, agent_id: object) -> _Who:
    return _Who(
        account_id=v.as_uuid(account_id, "account_id"),
        user_id=v.as_uuid(user_id, "user_id"),
        agent_id=v.as_uuid(agent_id, "agent_id"),
    )


def _message_input(
    acc: uuid.UUID, cid: uuid.UUID, mid: uuid.UUID, role: str, content: object
) -> q_messages.InsertChatMessageParams:
    """A message's validated InsertChatMessage arguments, all but the model config (the
    transaction picks it): what a repeat of the message is compared on."""
    return q_messages.InsertChatMessageParams(
        account_id=acc,
        chat_id=cid,
        client_message_id=mid,
        role=role,
        content=v.text(content, "content", max_len=v.CONTENT_MAX),
        action=None,
        dax_attempts=None,
        final_dax=None,
        resolution_note=None,
        error=None,
    )


def _live(chat: Chat | None) -> Chat:
    """A chat found by an ownership query: missing is NotFound, deleted is Gone."""
    if found(chat).deleted_at is not None:
        raise Gone()
    return chat  # type: ignore[return-value]  # not None: _found checked it


async def _sender_chat(conn: Conn, cid: uuid.UUID, who: _Who) -> Chat:
    """The user's chat, locked: another user's, account's or agent's chat is NotFound."""
    return _live(await q_chats.get_chat_for_sender_for_update(conn, id=cid, **who))


async def _store_message(
    conn: Conn, chat: Chat, msg: q_messages.InsertChatMessageParams
) -> SentMessage:
    """Resolve the model config (one query), then store the message in the locked chat."""
    config = await q_configs.resolve_chat_model_config(conn, own_id=chat.model_config_id)
    config_id = None if config is None else config.id
    return await _insert_message(conn, chat, config_id, msg, created_chat=False)


async def _insert_message(
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
        return _repeated(stored, chat, msg)
    params: q_messages.InsertChatMessageParams = {**msg, "model_config_id": config_id}
    message = await q_messages.insert_chat_message(conn, **params)
    if message is None:
        existing = await q_messages.get_chat_message_by_client_id(
            conn, account_id=chat.account_id, chat_id=chat.id, client_message_id=mid
        )
        return _repeated(expect_row(existing), chat, msg)
    chat = expect_row(
        await q_chats.touch_chat_after_message(conn, id=chat.id, account_id=chat.account_id)
    )
    return SentMessage(message, chat, created_chat=created_chat, duplicate=False)


def _repeated(
    stored: ChatMessage, chat: Chat, msg: q_messages.InsertChatMessageParams
) -> SentMessage:
    """A message already stored under this client_message_id: the same request is the
    stored result, another one a Conflict naming what differs. The stored message
    created its chat if one transaction wrote both: one transaction has one now()."""
    same_or_conflict(stored, msg, "A message with this client_message_id")
    created = stored.created_at == chat.created_at
    return SentMessage(stored, chat, created_chat=created, duplicate=True)
