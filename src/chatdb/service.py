"""The chat backend's service layer: each operation is one asyncpg transaction.

Thin on purpose: all SQL lives in `queries/*.sql` and is called through the generated
`chatdb.db` functions; this module only validates input, orders the calls, takes the
locks that make the seed failures impossible, and maps outcomes to typed domain errors.

Lock order, the same in every operation that takes more than one: the provider row
(`FOR UPDATE`), then the default-model-config advisory lock, then config/chat rows. A
consistent order is what keeps concurrent admin operations free of deadlocks.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypedDict, TypeVar

import asyncpg

from chatdb.db import accounts as q_accounts
from chatdb.db import chat_messages as q_messages
from chatdb.db import chat_providers as q_providers
from chatdb.db import chatmodelconfigs as q_configs
from chatdb.db import chats as q_chats
from chatdb.db.models import (
    Account,
    Agent,
    Chat,
    ChatMessage,
    ChatModelConfig,
    ChatProvider,
    User,
)
from chatdb.db.runtime import JSONValue
from chatdb.errors import (
    Conflict,
    InternalError,
    InvalidInput,
    NoDefaultModelConfig,
    NotFound,
    ProviderNotConfigured,
)
from chatdb.tx import Conn, RetryPolicy, run_in_transaction

T = TypeVar("T")

ROLES = frozenset({"user", "assistant", "system"})
ACTIONS = frozenset({"DESCRIBE", "QUERY", "ERROR"})
TITLE_MAX = 255
TITLE_FROM_MESSAGE = 50
CONTENT_MAX = 1_000_000
NAME_MAX = 200
PAGE_MAX = 500


@dataclass(frozen=True)
class SentMessage:
    message: ChatMessage
    chat: Chat
    created_chat: bool  # this message created the chat
    duplicate: bool  # a retry of a message already stored; nothing was written


@dataclass(frozen=True)
class ProviderDeleted:
    provider: str
    soft_deleted_configs: int
    promoted_default: ChatModelConfig | None  # the config auto-promoted to default, if any


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


# -- validation ----------------------------------------------------------------------


def _uuid(value: object, name: str) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    raise InvalidInput(f"{name} is not a valid UUID.")


def _opt_uuid(value: object, name: str) -> uuid.UUID | None:
    return None if value is None else _uuid(value, name)


def _text(value: object, name: str, *, max_len: int, empty_ok: bool = False) -> str:
    """Text PostgreSQL can store exactly: no NUL, valid UTF-8, within the column's size."""
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be a string.")
    if not empty_ok and not value.strip():
        raise InvalidInput(f"{name} must not be empty.")
    if len(value) > max_len:
        raise InvalidInput(f"{name} is longer than {max_len} characters.")
    if "\x00" in value:
        raise InvalidInput(f"{name} must not contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"{name} is not valid Unicode text.") from None
    return value


def _opt_text(value: object, name: str, *, max_len: int) -> str | None:
    return None if value is None else _text(value, name, max_len=max_len, empty_ok=True)


def _choice(value: object, name: str, allowed: frozenset[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise InvalidInput(f"{name} must be one of: {', '.join(sorted(allowed))}.")
    return value


def _int(value: object, name: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise InvalidInput(f"{name} must be an integer from {lo} to {hi}.")
    return value


JSON_MAX_DEPTH = 512  # well inside what json.dumps/loads and jsonb handle


def _json_text_ok(value: JSONValue, name: str) -> None:
    """jsonb rejects the NUL character and lone surrogates anywhere in the document.

    Walked with an explicit stack: a hostile, deeply nested document is InvalidInput,
    not a RecursionError.
    """
    stack: list[tuple[JSONValue, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > JSON_MAX_DEPTH:
            raise InvalidInput(f"{name} is nested more than {JSON_MAX_DEPTH} levels deep.")
        if isinstance(item, str):
            _text(item, name, max_len=CONTENT_MAX, empty_ok=True)
        elif isinstance(item, dict):
            for k, v in item.items():
                _text(k, name, max_len=CONTENT_MAX, empty_ok=True)
                stack.append((v, depth + 1))
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)


def title_from_message(content: str) -> str:
    """The chat title: the first 50 characters of its first message."""
    return content[:TITLE_FROM_MESSAGE]


# -- the service ---------------------------------------------------------------------


class ChatService:
    def __init__(self, pool: asyncpg.Pool[Any], retry: RetryPolicy | None = None) -> None:
        self.pool = pool
        self.retry = retry or RetryPolicy()

    async def _tx(self, work: Callable[[Conn], Awaitable[T]], *, readonly: bool = False) -> T:
        return await run_in_transaction(self.pool, work, self.retry, readonly=readonly)

    # -- accounts, users, agents (minimal) ---------------------------------------

    async def create_account(self, *, name: str) -> Account:
        name = _text(name, "name", max_len=NAME_MAX)

        async def work(conn: Conn) -> Account:
            return await q_accounts.insert_account(conn, name=name)

        return await self._tx(work)

    async def create_user(
        self, *, account_id: uuid.UUID | str, email: str, display_name: str | None = None
    ) -> User:
        acc = _uuid(account_id, "account_id")
        email = _text(email, "email", max_len=NAME_MAX)
        display = _opt_text(display_name, "display_name", max_len=NAME_MAX)

        async def work(conn: Conn) -> User:
            try:
                row = await q_accounts.insert_user(
                    conn, account_id=acc, email=email, display_name=display
                )
            except asyncpg.UniqueViolationError:
                raise Conflict("A user with this email already exists.") from None
            return row

        return await self._tx(work)

    async def create_agent(self, *, account_id: uuid.UUID | str, name: str) -> Agent:
        acc = _uuid(account_id, "account_id")
        name = _text(name, "name", max_len=NAME_MAX)

        async def work(conn: Conn) -> Agent:
            return await q_accounts.insert_agent(conn, account_id=acc, name=name)

        return await self._tx(work)

    # -- providers ---------------------------------------------------------------

    async def create_provider(
        self, *, provider: str, display_name: str, enabled: bool = True
    ) -> ChatProvider:
        provider = _text(provider, "provider", max_len=NAME_MAX)
        display_name = _text(display_name, "display_name", max_len=NAME_MAX)
        enabled = _bool(enabled, "enabled")

        async def work(conn: Conn) -> ChatProvider:
            row = await q_providers.insert_chat_provider(
                conn, provider=provider, display_name=display_name, enabled=enabled
            )
            if row is None:
                raise Conflict("Chat provider already exists.")
            return row

        return await self._tx(work)

    async def update_provider(
        self, *, provider: str, display_name: str, enabled: bool
    ) -> ChatProvider:
        provider = _text(provider, "provider", max_len=NAME_MAX)
        display_name = _text(display_name, "display_name", max_len=NAME_MAX)
        enabled = _bool(enabled, "enabled")

        async def work(conn: Conn) -> ChatProvider:
            row = await q_providers.update_chat_provider(
                conn, display_name=display_name, enabled=enabled, provider=provider
            )
            if row is None:
                raise NotFound()
            return row

        return await self._tx(work)

    async def set_provider_enabled(self, *, provider: str, enabled: bool) -> ChatProvider:
        provider = _text(provider, "provider", max_len=NAME_MAX)
        enabled = _bool(enabled, "enabled")

        async def work(conn: Conn) -> ChatProvider:
            current = await q_providers.get_chat_provider_by_provider_for_update(
                conn, provider=provider
            )
            if current is None:
                raise NotFound()
            return _row(
                await q_providers.update_chat_provider(
                    conn, display_name=current.display_name, enabled=enabled, provider=provider
                )
            )

        return await self._tx(work)

    async def list_providers(self) -> list[ChatProvider]:
        return await self._tx(q_providers.get_chat_providers, readonly=True)

    async def delete_provider(self, *, provider: str) -> ProviderDeleted:
        """Seed 000: deleting a provider used by historical chats succeeds.

        Its model configs are soft-deleted (history keeps resolving them), the provider
        row is hard-deleted, and if the default config was among them the first live
        config (provider, model ASC; updated_at, id DESC) is promoted — one transaction.
        """
        provider = _text(provider, "provider", max_len=NAME_MAX)

        async def work(conn: Conn) -> ProviderDeleted:
            locked = await q_providers.get_chat_provider_by_provider_for_update(
                conn, provider=provider
            )
            if locked is None:
                raise NotFound()
            await q_configs.lock_chat_model_config_default(conn)
            live = [
                c for c in await q_configs.get_chat_model_configs(conn) if c.provider == provider
            ]
            await q_configs.delete_chat_model_configs_by_provider(conn, provider=provider)
            if await q_providers.delete_chat_provider(conn, provider=provider) != 1:
                raise InternalError("provider row vanished while locked")
            promoted = await _ensure_default(conn)
            return ProviderDeleted(provider, len(live), promoted)

        return await self._tx(work)

    # -- model configs -------------------------------------------------------------

    async def create_model_config(
        self,
        *,
        provider: str,
        model: str,
        display_name: str,
        context_limit: int,
        compression_threshold: int,
        options: Mapping[str, JSONValue] | None = None,
        enabled: bool = True,
        is_default: bool = False,
        created_by: uuid.UUID | str | None = None,
    ) -> ChatModelConfig:
        v = _config_input(
            provider,
            model,
            display_name,
            context_limit,
            compression_threshold,
            options,
            enabled,
            is_default,
        )
        author = _opt_uuid(created_by, "created_by")

        async def work(conn: Conn) -> ChatModelConfig:
            await _prepare_config_write(conn, v)
            row = await q_configs.insert_chat_model_config(
                conn, **v, created_by=author, updated_by=author
            )
            return await _after_config_write(conn, row)

        return await self._tx(work)

    async def update_model_config(
        self,
        *,
        id: uuid.UUID | str,
        provider: str,
        model: str,
        display_name: str,
        context_limit: int,
        compression_threshold: int,
        options: Mapping[str, JSONValue] | None = None,
        enabled: bool = True,
        is_default: bool = False,
        updated_by: uuid.UUID | str | None = None,
    ) -> ChatModelConfig:
        config_id = _uuid(id, "id")
        v = _config_input(
            provider,
            model,
            display_name,
            context_limit,
            compression_threshold,
            options,
            enabled,
            is_default,
        )
        author = _opt_uuid(updated_by, "updated_by")

        async def work(conn: Conn) -> ChatModelConfig:
            await _prepare_config_write(conn, v, config_id)
            row = await q_configs.update_chat_model_config(
                conn, **v, updated_by=author, id=config_id
            )
            if row is None:  # the target itself vanished mid-transaction
                raise NotFound()
            return await _after_config_write(conn, row)

        return await self._tx(work)

    async def set_default_model_config(self, *, id: uuid.UUID | str) -> ChatModelConfig:
        config_id = _uuid(id, "id")

        async def work(conn: Conn) -> ChatModelConfig:
            await q_configs.lock_chat_model_config_default(conn)
            if await q_configs.get_chat_model_config_by_id_for_update(conn, id=config_id) is None:
                raise NotFound()
            await q_configs.unset_default_chat_model_configs(conn)
            if await q_configs.set_default_chat_model_config(conn, id=config_id) != 1:
                raise NotFound()
            return _row(await q_configs.get_chat_model_config_by_id(conn, id=config_id))

        return await self._tx(work)

    async def delete_model_config(self, *, id: uuid.UUID | str) -> ChatModelConfig | None:
        """Soft delete; returns the config promoted to default in its place, if any."""
        config_id = _uuid(id, "id")

        async def work(conn: Conn) -> ChatModelConfig | None:
            await q_configs.lock_chat_model_config_default(conn)
            if await q_configs.get_chat_model_config_by_id_for_update(conn, id=config_id) is None:
                raise NotFound()
            await q_configs.delete_chat_model_config_by_id(conn, id=config_id)
            return await _ensure_default(conn)

        return await self._tx(work)

    async def get_model_config(self, *, id: uuid.UUID | str) -> ChatModelConfig:
        config_id = _uuid(id, "id")

        async def work(conn: Conn) -> ChatModelConfig:
            row = await q_configs.get_chat_model_config_by_id(conn, id=config_id)
            if row is None:
                raise NotFound()
            return row

        return await self._tx(work, readonly=True)

    async def list_model_configs(self) -> list[ChatModelConfig]:
        """Admin list: every live config."""
        return await self._tx(q_configs.get_chat_model_configs, readonly=True)

    async def list_enabled_model_configs(self) -> list[ChatModelConfig]:
        """The model picker: live, enabled configs of enabled providers."""
        return await self._tx(q_configs.get_enabled_chat_model_configs, readonly=True)

    # -- chats ---------------------------------------------------------------------

    async def create_chat(
        self,
        *,
        account_id: uuid.UUID | str,
        user_id: uuid.UUID | str,
        agent_id: uuid.UUID | str,
        title: str | None = None,
        model_config_id: uuid.UUID | str | None = None,
    ) -> Chat:
        acc, usr, agt = (
            _uuid(account_id, "account_id"),
            _uuid(user_id, "user_id"),
            _uuid(agent_id, "agent_id"),
        )
        title = "New Chat" if title is None else _text(title, "title", max_len=TITLE_MAX)
        cfg = _opt_uuid(model_config_id, "model_config_id")

        async def work(conn: Conn) -> Chat:
            return await q_chats.insert_chat(
                conn,
                account_id=acc,
                user_id=usr,
                agent_id=agt,
                title=title,
                model_config_id=cfg,
            )

        return await self._tx(work)

    async def send_message(
        self,
        *,
        account_id: uuid.UUID | str,
        user_id: uuid.UUID | str,
        agent_id: uuid.UUID | str,
        chat_id: uuid.UUID | str,
        client_message_id: uuid.UUID | str,
        content: str,
        role: str = "user",
        action: str | None = None,
        dax_attempts: list[str] | None = None,
        final_dax: str | None = None,
        resolution_note: str | None = None,
        error: str | None = None,
    ) -> SentMessage:
        """Store one message, creating its chat first if this is the chat's first message.

        Seed 001: the chat row always exists before its message (and the FK enforces
        it). Everything happens in one transaction; a retry with the same
        client_message_id returns the stored message and writes nothing.
        """
        acc, usr, agt = (
            _uuid(account_id, "account_id"),
            _uuid(user_id, "user_id"),
            _uuid(agent_id, "agent_id"),
        )
        cid = _uuid(chat_id, "chat_id")
        mid = _uuid(client_message_id, "client_message_id")
        content = _text(content, "content", max_len=CONTENT_MAX)
        role = _choice(role, "role", ROLES)
        act = None if action is None else _choice(action, "action", ACTIONS)
        attempts: JSONValue | None = None
        if dax_attempts is not None:
            if not isinstance(dax_attempts, list) or not all(
                isinstance(a, str) for a in dax_attempts
            ):
                raise InvalidInput("dax_attempts must be a list of strings.")
            for a in dax_attempts:
                _text(a, "dax_attempts", max_len=CONTENT_MAX, empty_ok=True)
            attempts = list(dax_attempts)
        final = _opt_text(final_dax, "final_dax", max_len=CONTENT_MAX)
        note = _opt_text(resolution_note, "resolution_note", max_len=CONTENT_MAX)
        err = _opt_text(error, "error", max_len=CONTENT_MAX)

        async def work(conn: Conn) -> SentMessage:
            created = await q_chats.ensure_chat(
                conn,
                id=cid,
                account_id=acc,
                user_id=usr,
                agent_id=agt,
                title=title_from_message(content),
                model_config_id=None,
            )
            chat = await q_chats.get_chat_by_id_for_update(conn, id=cid)
            if chat is None or chat.user_id != usr:
                raise NotFound()
            try:
                config = await _resolve_model(conn, chat)
            except NoDefaultModelConfig:
                # A retry of a message stored earlier needs no model: it returns the
                # stored message, whatever happened to the configs since.
                stored = await q_messages.get_chat_message_by_client_id(
                    conn, chat_id=cid, client_message_id=mid
                )
                if stored is None:
                    raise
                return SentMessage(stored, chat, created_chat=False, duplicate=True)
            message = await q_messages.insert_chat_message(
                conn,
                chat_id=cid,
                client_message_id=mid,
                role=role,
                content=content,
                action=act,
                dax_attempts=attempts,
                final_dax=final,
                resolution_note=note,
                error=err,
                model_config_id=config.id,
            )
            if message is None:
                existing = await q_messages.get_chat_message_by_client_id(
                    conn, chat_id=cid, client_message_id=mid
                )
                return SentMessage(_row(existing), chat, created_chat=False, duplicate=True)
            chat = _row(await q_chats.touch_chat_after_message(conn, id=cid))
            return SentMessage(message, chat, created_chat=created == 1, duplicate=False)

        return await self._tx(work)

    async def resolve_model_for_turn(
        self, *, user_id: uuid.UUID | str, chat_id: uuid.UUID | str
    ) -> ChatModelConfig:
        """The config a new turn uses: the chat's own if still live and enabled, else the
        current default (seed 000); NoDefaultModelConfig when there is none."""
        usr, cid = _uuid(user_id, "user_id"), _uuid(chat_id, "chat_id")

        async def work(conn: Conn) -> ChatModelConfig:
            chat = await q_chats.get_chat_by_id(conn, id=cid)
            if chat is None or chat.user_id != usr:
                raise NotFound()
            return await _resolve_model(conn, chat)

        return await self._tx(work, readonly=True)

    async def set_chat_model(
        self,
        *,
        user_id: uuid.UUID | str,
        chat_id: uuid.UUID | str,
        model_config_id: uuid.UUID | str | None,
    ) -> Chat:
        usr, cid = _uuid(user_id, "user_id"), _uuid(chat_id, "chat_id")
        cfg = _opt_uuid(model_config_id, "model_config_id")

        async def work(conn: Conn) -> Chat:
            chat = await q_chats.get_chat_by_id_for_update(conn, id=cid)
            if chat is None or chat.user_id != usr:
                raise NotFound()
            if cfg is not None and (
                await q_configs.get_enabled_chat_model_config_by_id(conn, id=cfg) is None
            ):
                raise NotFound()
            await q_chats.set_chat_model_config(conn, model_config_id=cfg, id=cid)
            return _row(await q_chats.get_chat_by_id(conn, id=cid))

        return await self._tx(work)

    async def get_chat(self, *, user_id: uuid.UUID | str, chat_id: uuid.UUID | str) -> Chat:
        usr, cid = _uuid(user_id, "user_id"), _uuid(chat_id, "chat_id")

        async def work(conn: Conn) -> Chat:
            chat = await q_chats.get_chat_by_id(conn, id=cid)
            if chat is None or chat.user_id != usr:
                raise NotFound()
            return chat

        return await self._tx(work, readonly=True)

    async def list_chats(
        self, *, user_id: uuid.UUID | str, limit: int = 50, after: ChatCursor | None = None
    ) -> ChatPage:
        """A user's chats, most recent activity first; pass `page.next` for the next page."""
        usr = _uuid(user_id, "user_id")
        limit = _int(limit, "limit", 1, PAGE_MAX)
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

        return await self._tx(work, readonly=True)

    async def list_messages(
        self,
        *,
        user_id: uuid.UUID | str,
        chat_id: uuid.UUID | str,
        after_id: int = 0,
        limit: int = 100,
    ) -> MessagePage:
        """A chat's messages in order. History of a chat whose model config was deleted
        reads unchanged: messages keep pointing at the soft-deleted config."""
        usr, cid = _uuid(user_id, "user_id"), _uuid(chat_id, "chat_id")
        after = _int(after_id, "after_id", 0, 2**63 - 1)
        limit = _int(limit, "limit", 1, PAGE_MAX)

        async def work(conn: Conn) -> MessagePage:
            chat = await q_chats.get_chat_by_id(conn, id=cid)
            if chat is None or chat.user_id != usr:
                raise NotFound()
            rows = await q_messages.list_chat_messages(
                conn, chat_id=cid, after_id=after, page_size=limit + 1
            )
            more = len(rows) > limit
            rows = rows[:limit]
            return MessagePage(rows, rows[-1].id if more else None)

        return await self._tx(work, readonly=True)

    async def delete_chat(self, *, user_id: uuid.UUID | str, chat_id: uuid.UUID | str) -> None:
        """Delete a chat; its messages go with it (ON DELETE CASCADE)."""
        usr, cid = _uuid(user_id, "user_id"), _uuid(chat_id, "chat_id")

        async def work(conn: Conn) -> None:
            if await q_chats.delete_chat(conn, id=cid, user_id=usr) != 1:
                raise NotFound()

        await self._tx(work)


# -- helpers shared by operations ------------------------------------------------------


def _row(row: T | None) -> T:
    """A row the transaction guarantees exists; its absence is an internal race."""
    if row is None:
        raise InternalError("expected a row, found none")
    return row


def _bool(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{name} must be true or false.")
    return value


class _ConfigInput(TypedDict):
    """Validated model-config fields, passed as keywords to the insert/update queries."""

    provider: str
    model: str
    display_name: str
    context_limit: int
    compression_threshold: int
    options: JSONValue
    enabled: bool
    is_default: bool


def _config_input(
    provider: object,
    model: object,
    display_name: object,
    context_limit: object,
    compression_threshold: object,
    options: Mapping[str, JSONValue] | None,
    enabled: object,
    is_default: object,
) -> _ConfigInput:
    if options is not None and not isinstance(options, Mapping):
        raise InvalidInput("options must be a JSON object.")
    opts: JSONValue = dict(options or {})
    _json_text_ok(opts, "options")
    return _ConfigInput(
        provider=_text(provider, "provider", max_len=NAME_MAX),
        model=_text(model, "model", max_len=NAME_MAX),
        display_name=_text(display_name, "display_name", max_len=NAME_MAX),
        context_limit=_int(context_limit, "context_limit", 1, 2**63 - 1),
        compression_threshold=_int(compression_threshold, "compression_threshold", 0, 100),
        options=opts,
        enabled=_bool(enabled, "enabled"),
        is_default=_bool(is_default, "is_default"),
    )


async def _prepare_config_write(
    conn: Conn, v: _ConfigInput, existing: uuid.UUID | None = None
) -> None:
    """Locks in the documented order; a new default first unsets the old one."""
    await _require_provider(conn, v["provider"])
    await q_configs.lock_chat_model_config_default(conn)
    if existing is not None and (
        await q_configs.get_chat_model_config_by_id_for_update(conn, id=existing) is None
    ):
        raise NotFound()
    if v["is_default"]:
        await q_configs.unset_default_chat_model_configs(conn)


async def _after_config_write(conn: Conn, row: ChatModelConfig) -> ChatModelConfig:
    """Keep a live default; return the written row as it stands after that."""
    promoted = await _ensure_default(conn)
    return promoted if promoted is not None and promoted.id == row.id else row


async def _require_provider(conn: Conn, provider: str) -> ChatProvider:
    """Lock the provider row: serialises against a concurrent provider delete."""
    row = await q_providers.get_chat_provider_by_provider_for_update(conn, provider=provider)
    if row is None:
        raise ProviderNotConfigured()
    return row


async def _ensure_default(conn: Conn) -> ChatModelConfig | None:
    """If no live default exists, promote the first live config; return it if promoted.

    Callers hold the default advisory lock, so the candidate can only vanish through a
    bug — reported as an internal error, not as the caller's NotFound.
    """
    if await q_configs.get_default_chat_model_config(conn) is not None:
        return None
    first = await q_configs.get_first_live_chat_model_config(conn)
    if first is None:
        return None
    if await q_configs.set_default_chat_model_config(conn, id=first.id) != 1:
        raise InternalError("the promoted default candidate vanished")
    return _row(await q_configs.get_chat_model_config_by_id(conn, id=first.id))


async def _resolve_model(conn: Conn, chat: Chat) -> ChatModelConfig:
    if chat.model_config_id is not None:
        own = await q_configs.get_enabled_chat_model_config_by_id(conn, id=chat.model_config_id)
        if own is not None:
            return own
    default = await q_configs.get_default_chat_model_config(conn)
    if default is None:
        raise NoDefaultModelConfig()
    return default
