"""The chat backend's service layer: each operation is one asyncpg transaction.

Thin on purpose: all SQL lives in `queries/*.sql` and is called through the generated
`chatdb.db` functions; input rules live in `validate.py`; failures are mapped in `tx.py`.
This module orders the calls, takes the locks that make the seed failures impossible,
and turns outcomes into typed domain errors.

Ownership is checked by the queries themselves (a chat is looked up by its key, account
and id, *and* its user or agent), never re-written here; the schema adds that a chat's user
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

Round trips are the cost of a write. A send (and an assistant turn) is one statement
that is a transaction of its own (SendMessage: the chat locked or created, the model
config resolved, the message stored idempotently, the counter bumped), run by
`tx.run_statement` under bounds kept on the connection: one round trip. What that
statement cannot tell apart (another owner's chat, a concurrent first message or repeat)
falls back to the transactional path it replaced. Behind a pooler the same statement
runs between BEGIN and COMMIT. A chat delete: BEGIN, the tombstone, the messages (a later
statement, whose snapshot follows the chat's lock), COMMIT — four. Reads may go to a
replica pool (`Database(replica=...)`): `get_chat`, `list_chats`, `list_messages` and
`resolve_model_for_turn`, each with `fresh=True` to read the primary instead (read your
own writes, e.g. listing a chat right after sending to it). Writes never do.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import TypedDict

from chatdb import sending as m
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
    InvalidInput,
    found,
    same_or_conflict,
)
from chatdb.sending import SentMessage, Who, title_from_message
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
            if row is None:  # ids are per account: what is taken is this account's email
                raise Conflict("A user with this email already exists.")
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
                row or await m.sender_chat(conn, cid, who),
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
        msg = m.message_input(who["account_id"], cid, mid, "user", content)
        statement_timeout, lock_timeout = self.db.timeouts.shown()

        async def write(conn: Conn) -> SentMessage | None:
            # One statement, one round trip: the common case (see SendMessage). Keywords
            # spelled out: `**who` would cost more than the rest of the call.
            row = await q_chats.send_message(
                conn, chat_id=cid, account_id=who["account_id"], user_id=who["user_id"],
                agent_id=who["agent_id"], title=title_from_message(msg["content"]),
                client_message_id=mid, role="user", content=msg["content"],
                statement_timeout=statement_timeout, lock_timeout=lock_timeout,
            )  # fmt: skip
            return None if row is None else m.sent(row, msg)

        sent = await self.db.write_statement(write)
        if sent is not None:
            return sent

        async def work(conn: Conn) -> SentMessage:
            # What the statement left to tell apart (another owner's chat, a race with
            # another first message or repeat, bounds not in effect), in a transaction.
            return await m.send_in_transaction(conn, cid, who, msg)

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
        msg = m.message_input(acc, cid, mid, v.choice(role, "role", ASSISTANT_ROLES), content)
        msg["action"] = None if action is None else v.choice(action, "action", ACTIONS)
        msg["dax_attempts"] = v.string_list(dax_attempts, "dax_attempts")
        msg["final_dax"] = v.opt_text(final_dax, "final_dax", max_len=v.CONTENT_MAX)
        msg["resolution_note"] = v.opt_text(
            resolution_note, "resolution_note", max_len=v.CONTENT_MAX
        )
        msg["error"] = v.opt_text(error, "error", max_len=v.CONTENT_MAX)
        statement_timeout, lock_timeout = self.db.timeouts.shown()

        async def write(conn: Conn) -> SentMessage | None:
            # One statement, one round trip: the common case (see AddAssistantMessage).
            row = await q_chats.add_assistant_message(
                conn, chat_id=cid, client_message_id=mid, role=msg["role"],
                content=msg["content"], action=msg["action"], dax_attempts=msg["dax_attempts"],
                final_dax=msg["final_dax"], resolution_note=msg["resolution_note"],
                error=msg["error"], account_id=acc, agent_id=agt,
                statement_timeout=statement_timeout, lock_timeout=lock_timeout,
            )  # fmt: skip
            return None if row is None else m.sent(row, msg)

        sent = await self.db.write_statement(write)
        if sent is not None:
            return sent

        async def work(conn: Conn) -> SentMessage:  # what the statement left to tell apart
            chat = await q_chats.get_chat_for_agent_for_update(
                conn, id=cid, account_id=acc, agent_id=agt
            )
            return await m.store_message(conn, m.live(chat), msg)

        return await self.db.transaction(work)

    async def resolve_model_for_turn(
        self, *, account_id: Id, user_id: Id, chat_id: Id, fresh: bool = False
    ) -> ChatModelConfig:
        """The config a new turn uses: the chat's own if still usable, else the usable
        default; NoDefaultModelConfig when there is none. Read from the replica
        when there is one, unless `fresh` (see `Database.read`)."""
        owner = _owner(account_id, user_id, chat_id)

        async def work(conn: Conn) -> ChatModelConfig:
            chat = found(await q_chats.get_owned_chat(conn, **owner))
            return await resolve_model(conn, chat)

        return await self.db.read(work, fresh=fresh)

    async def set_chat_model(
        self, *, account_id: Id, user_id: Id, chat_id: Id, model_config_id: Id | None
    ) -> Chat:
        owner = _owner(account_id, user_id, chat_id)
        cfg = v.opt_uuid(model_config_id, "model_config_id")

        async def work(conn: Conn) -> Chat:
            if cfg is not None:
                found(await q_configs.get_enabled_chat_model_config_by_id(conn, id=cfg))
            return found(await q_chats.set_chat_model_config(conn, model_config_id=cfg, **owner))

        return await self.db.transaction(work)

    async def get_chat(
        self, *, account_id: Id, user_id: Id, chat_id: Id, fresh: bool = False
    ) -> Chat:
        """The user's chat; from the replica when there is one, unless `fresh`."""
        owner = _owner(account_id, user_id, chat_id)

        async def work(conn: Conn) -> Chat:
            return found(await q_chats.get_owned_chat(conn, **owner))

        return await self.db.read(work, fresh=fresh)

    async def list_chats(
        self,
        *,
        account_id: Id,
        user_id: Id,
        limit: int = 50,
        after: ChatCursor | None = None,
        fresh: bool = False,
    ) -> ChatPage:
        """A user's chats in an account, most recent activity first; pass `page.next` for
        the next page. From the replica when there is one, unless `fresh`."""
        acc, usr = v.as_uuid(account_id, "account_id"), v.as_uuid(user_id, "user_id")
        limit = v.integer(limit, "limit", 1, v.PAGE_MAX)
        if after is not None and not isinstance(after, ChatCursor):
            raise InvalidInput("after must be a ChatCursor from a previous page.")

        async def work(conn: Conn) -> ChatPage:
            chats = await q_chats.list_chats_by_user(
                conn,
                account_id=acc,
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
        account_id: Id,
        user_id: Id,
        chat_id: Id,
        after_id: int = 0,
        limit: int = 100,
        fresh: bool = False,
    ) -> MessagePage:
        """A chat's messages in order. History of a chat whose model config was deleted
        reads unchanged: messages keep pointing at the soft-deleted config. From the
        replica when there is one, unless `fresh` (a list right after a send: use it)."""
        owner = _owner(account_id, user_id, chat_id)
        after = v.integer(after_id, "after_id", 0, 2**63 - 1)
        limit = v.integer(limit, "limit", 1, v.PAGE_MAX)

        async def work(conn: Conn) -> MessagePage:
            chat = found(await q_chats.get_owned_chat(conn, **owner))
            rows = await q_messages.list_chat_messages(
                conn, account_id=chat.account_id, chat_id=chat.id, after_id=after,
                page_size=limit + 1,
            )  # fmt: skip
            more = len(rows) > limit
            rows = rows[:limit]
            return MessagePage(rows, rows[-1].id if more else None)

        return await self.db.read(work, fresh=fresh)

    async def delete_chat(self, *, account_id: Id, user_id: Id, chat_id: Id) -> ChatDeleted:
        """Delete a chat and its messages. The chat row stays as a tombstone (title
        erased), so the id is never used again; a repeat reports `already_deleted`."""
        owner = _owner(account_id, user_id, chat_id)
        acc, cid = owner["account_id"], owner["id"]

        async def work(conn: Conn) -> ChatDeleted:
            state = found(await q_chats.delete_owned_chat(conn, **owner))
            if state.already_deleted:
                return ChatDeleted(cid, already_deleted=True)
            await q_messages.delete_chat_messages_by_chat(conn, account_id=acc, chat_id=cid)
            return ChatDeleted(cid)

        return await self.db.transaction(work)


# -- helpers shared by operations ------------------------------------------------------


class Owner(TypedDict):
    """A user's chat by its key: the arguments of the queries that look it up (every one
    pinned by account_id, the distribution key on Citus)."""

    id: uuid.UUID
    account_id: uuid.UUID
    user_id: uuid.UUID


def _owner(account_id: object, user_id: object, chat_id: object) -> Owner:
    owner: Owner = {  # a literal: calling the class costs 2x
        "account_id": v.as_uuid(account_id, "account_id"),
        "user_id": v.as_uuid(user_id, "user_id"),
        "id": v.as_uuid(chat_id, "chat_id"),
    }
    return owner


def _who(account_id: object, user_id: object, agent_id: object) -> Who:
    who: Who = {
        "account_id": v.as_uuid(account_id, "account_id"),
        "user_id": v.as_uuid(user_id, "user_id"),
        "agent_id": v.as_uuid(agent_id, "agent_id"),
    }
    return who
