"""Providers and model configs: the admin side of the chat service.

A sibling of `ChatService` (service.py), over the same `Database` value: the application
decides who gets admin by handing this service out or not. The rules are the same as there:
one transaction per operation, SQL only through the generated `chatdb.db` functions,
input checked by `validate.py`, driver failures mapped by `tx.py`.

Only usable configs — live, enabled, of an enabled provider — are ever promoted to
default or used for a new turn (`resolve_model`); when none is left, a new turn is
NoDefaultModelConfig. The default is usable whenever any config is: a change that makes
it unusable (deleting or disabling it, disabling its provider) moves the default to the
first usable config; asking for an unusable default is refused; with nothing usable the
default stays, and the first config usable again takes it (`_ensure_default`).
Lock order: the provider row (`FOR UPDATE`), then the default-model-config advisory
lock, then config rows.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeAlias

from chatdb import validate as v
from chatdb.database import Database, choose_id
from chatdb.db import chat_providers as q_providers
from chatdb.db import chatmodelconfigs as q_configs
from chatdb.db.models import Chat, ChatModelConfig, ChatProvider
from chatdb.db.runtime import JSONValue
from chatdb.errors import (
    Conflict,
    InternalError,
    InvalidInput,
    NoDefaultModelConfig,
    NotFound,
    ProviderNotConfigured,
    expect_row,
    found,
    same_or_conflict,
)
from chatdb.tx import Conn
from chatdb.validate import Id

UNUSABLE_DEFAULT = "A disabled model config, or one of a disabled provider, cannot be the default."


@dataclass(frozen=True)
class ProviderDeleted:
    provider: str
    soft_deleted_configs: int
    promoted_default: ChatModelConfig | None  # the config auto-promoted to default, if any
    already_deleted: bool = False  # a repeated delete: the provider was deleted before


@dataclass(frozen=True)
class ConfigDeleted:
    id: uuid.UUID
    promoted_default: ChatModelConfig | None  # promoted in its place, if it was the default
    already_deleted: bool = False  # a repeated delete


class AdminService:
    """Providers and model configs; each method is one transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- providers ---------------------------------------------------------------

    async def create_provider(
        self, *, provider: str, display_name: str, enabled: bool = True
    ) -> ChatProvider:
        """Idempotent on the provider name: repeating the same create returns the row;
        the same name with other fields is a Conflict."""
        provider = v.text(provider, "provider", max_len=v.NAME_MAX)
        display_name = v.text(display_name, "display_name", max_len=v.NAME_MAX)
        enabled = v.boolean(enabled, "enabled")

        async def work(conn: Conn) -> ChatProvider:
            row = await q_providers.insert_chat_provider(
                conn, provider=provider, display_name=display_name, enabled=enabled
            )
            await q_providers.delete_chat_provider_tombstone(conn, provider=provider)
            return same_or_conflict(
                row or await q_providers.get_chat_provider_by_provider(conn, provider=provider),
                {"display_name": display_name, "enabled": enabled},
                "Chat provider",
            )

        return await self.db.transaction(work)

    async def update_provider(
        self, *, provider: str, display_name: str, enabled: bool
    ) -> ChatProvider:
        provider = v.text(provider, "provider", max_len=v.NAME_MAX)
        display_name = v.text(display_name, "display_name", max_len=v.NAME_MAX)
        enabled = v.boolean(enabled, "enabled")

        async def work(conn: Conn) -> ChatProvider:
            row = found(
                await q_providers.update_chat_provider(
                    conn, display_name=display_name, enabled=enabled, provider=provider
                )
            )
            await _default_after_provider_change(conn)
            return row

        return await self.db.transaction(work)

    async def set_provider_enabled(self, *, provider: str, enabled: bool) -> ChatProvider:
        provider = v.text(provider, "provider", max_len=v.NAME_MAX)
        enabled = v.boolean(enabled, "enabled")

        async def work(conn: Conn) -> ChatProvider:
            current = found(
                await q_providers.get_chat_provider_by_provider_for_update(conn, provider=provider)
            )
            row = expect_row(
                await q_providers.update_chat_provider(
                    conn, display_name=current.display_name, enabled=enabled, provider=provider
                )
            )
            await _default_after_provider_change(conn)
            return row

        return await self.db.transaction(work)

    async def list_providers(self) -> list[ChatProvider]:
        return await self.db.transaction(q_providers.get_chat_providers, readonly=True)

    async def delete_provider(self, *, provider: str) -> ProviderDeleted:
        """Deleting a provider used by historical chats succeeds.

        Its model configs are soft-deleted (history keeps resolving them), the provider
        row is hard-deleted (its name kept as a tombstone, so a repeat reports
        `already_deleted` and what the first delete did), and if the default config was
        among them the first usable config (provider, model ASC; updated_at, id DESC)
        is promoted — one transaction.
        """
        provider = v.text(provider, "provider", max_len=v.NAME_MAX)

        async def work(conn: Conn) -> ProviderDeleted:
            locked = await q_providers.get_chat_provider_by_provider_for_update(
                conn, provider=provider
            )
            if locked is None:
                tomb = found(await q_providers.get_chat_provider_tombstone(conn, provider=provider))
                return await _provider_deleted_before(conn, provider, tomb.deleted_at)
            await q_configs.lock_chat_model_config_default(conn)
            live = [
                c for c in await q_configs.get_chat_model_configs(conn) if c.provider == provider
            ]
            await q_configs.delete_chat_model_configs_by_provider(conn, provider=provider)
            if await q_providers.delete_chat_provider(conn, provider=provider) != 1:
                raise InternalError("provider row vanished while locked")
            await q_providers.insert_chat_provider_tombstone(conn, provider=provider)
            return ProviderDeleted(provider, len(live), await _ensure_default(conn))

        return await self.db.transaction(work)

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
        created_by: Id | None = None,
        id: Id | None = None,
    ) -> ChatModelConfig:
        """Create a config. With a client-chosen `id`, a repeat returns what the first
        call stored (NotFound if it has been deleted since; Conflict, naming them, if
        fields the create sets differ); without one, an OutcomeUnknown carries the id
        this call chose."""
        new_id = choose_id(id, "id")
        author = v.opt_uuid(created_by, "created_by")
        fields = _config_input(
            new_id, author, provider, model, display_name, context_limit,
            compression_threshold, options, enabled, is_default,
        )  # fmt: skip

        async def work(conn: Conn) -> ChatModelConfig:
            await _lock_for_config_write(conn, fields)
            if id is not None:
                stored = await q_configs.get_chat_model_config_by_id_any_state(conn, id=new_id)
                if stored is not None:
                    return _same_config(found(None if stored.deleted else stored), fields, author)
            if fields["is_default"]:
                await q_configs.unset_default_chat_model_configs(conn)
            row = await q_configs.insert_chat_model_config_with_id(
                conn, **fields, created_by=author
            )
            return await _after_config_write(conn, row)

        return await self.db.transaction(work, created_id=new_id)

    async def update_model_config(
        self,
        *,
        id: Id,
        provider: str,
        model: str,
        display_name: str,
        context_limit: int,
        compression_threshold: int,
        options: Mapping[str, JSONValue] | None = None,
        enabled: bool = True,
        is_default: bool = False,
        updated_by: Id | None = None,
    ) -> ChatModelConfig:
        config_id = v.as_uuid(id, "id")
        author = v.opt_uuid(updated_by, "updated_by")
        fields = _config_input(
            config_id, author, provider, model, display_name, context_limit,
            compression_threshold, options, enabled, is_default,
        )  # fmt: skip

        async def work(conn: Conn) -> ChatModelConfig:
            await _lock_for_config_write(conn, fields)
            found(await q_configs.get_chat_model_config_by_id_for_update(conn, id=config_id))
            if fields["is_default"]:
                await q_configs.unset_default_chat_model_configs(conn)
            row = await q_configs.update_chat_model_config(conn, **fields)
            return await _after_config_write(conn, found(row))

        return await self.db.transaction(work)

    async def set_default_model_config(self, *, id: Id) -> ChatModelConfig:
        config_id = v.as_uuid(id, "id")

        async def work(conn: Conn) -> ChatModelConfig:
            await q_configs.lock_chat_model_config_default(conn)
            found(await q_configs.get_chat_model_config_by_id_for_update(conn, id=config_id))
            if await q_configs.get_enabled_chat_model_config_by_id(conn, id=config_id) is None:
                raise Conflict(UNUSABLE_DEFAULT)
            await q_configs.unset_default_chat_model_configs(conn)
            if await q_configs.set_default_chat_model_config(conn, id=config_id) != 1:
                raise NotFound()
            return expect_row(await q_configs.get_chat_model_config_by_id(conn, id=config_id))

        return await self.db.transaction(work)

    async def delete_model_config(self, *, id: Id) -> ConfigDeleted:
        """Soft delete; reports the config promoted to default in its place, if any (a
        repeat too: what the first delete promoted, unless that config changed since)."""
        config_id = v.as_uuid(id, "id")

        async def work(conn: Conn) -> ConfigDeleted:
            await q_configs.lock_chat_model_config_default(conn)
            if await q_configs.get_chat_model_config_by_id_for_update(conn, id=config_id) is None:
                gone = found(
                    await q_configs.get_chat_model_config_by_id_any_state(conn, id=config_id)
                )
                promoted = await _promoted_at(conn, expect_row(gone.deleted_at))
                return ConfigDeleted(config_id, promoted, already_deleted=True)
            await q_configs.delete_chat_model_config_by_id(conn, id=config_id)
            return ConfigDeleted(config_id, await _ensure_default(conn))

        return await self.db.transaction(work)

    async def get_model_config(self, *, id: Id) -> ChatModelConfig:
        config_id = v.as_uuid(id, "id")

        async def work(conn: Conn) -> ChatModelConfig:
            return found(await q_configs.get_chat_model_config_by_id(conn, id=config_id))

        return await self.db.transaction(work, readonly=True)

    async def list_model_configs(self) -> list[ChatModelConfig]:
        """Admin list: every live config."""
        return await self.db.transaction(q_configs.get_chat_model_configs, readonly=True)

    async def list_enabled_model_configs(self) -> list[ChatModelConfig]:
        """The model picker: live, enabled configs of enabled providers."""
        return await self.db.transaction(q_configs.get_enabled_chat_model_configs, readonly=True)


# What a config write sets, validated: UpdateChatModelConfig's arguments, which are
# InsertChatModelConfigWithID's but for `created_by` (a create passes it besides).
ConfigWrite: TypeAlias = q_configs.UpdateChatModelConfigParams


def _config_input(
    config_id: uuid.UUID,
    author: uuid.UUID | None,
    provider: object,
    model: object,
    display_name: object,
    context_limit: object,
    compression_threshold: object,
    options: object,
    enabled: object,
    is_default: object,
) -> ConfigWrite:
    fields = ConfigWrite(
        id=config_id,
        updated_by=author,
        provider=v.text(provider, "provider", max_len=v.NAME_MAX),
        model=v.text(model, "model", max_len=v.NAME_MAX),
        display_name=v.text(display_name, "display_name", max_len=v.NAME_MAX),
        context_limit=v.integer(context_limit, "context_limit", 1, 2**63 - 1),
        compression_threshold=v.integer(compression_threshold, "compression_threshold", 0, 100),
        options=v.json_object(options, "options"),
        enabled=v.boolean(enabled, "enabled"),
        is_default=v.boolean(is_default, "is_default"),
    )
    if fields["is_default"] and not fields["enabled"]:
        raise InvalidInput("is_default must be false for a disabled config.")
    return fields


def _same_config(
    stored: ChatModelConfig, fields: ConfigWrite, author: uuid.UUID | None
) -> ChatModelConfig:
    """A repeated create: the stored config if the request sets what it set (is_default
    and updated_by aside: promotion, later defaults and updates change them), else a
    Conflict naming the fields."""
    later = ("is_default", "updated_by")
    wanted: dict[str, object] = {k: v for k, v in fields.items() if k not in later}
    return same_or_conflict(stored, {**wanted, "created_by": author}, "A model config with this id")


async def _lock_for_config_write(conn: Conn, fields: ConfigWrite) -> None:
    """Locks in the documented order: the provider row (serialises against a concurrent
    provider delete or disable), then the default advisory lock. A config of a disabled
    provider cannot be asked to be the default."""
    row = await q_providers.get_chat_provider_by_provider_for_update(
        conn, provider=fields["provider"]
    )
    if row is None:
        raise ProviderNotConfigured()
    if fields["is_default"] and not row.enabled:
        raise Conflict(UNUSABLE_DEFAULT)
    await q_configs.lock_chat_model_config_default(conn)


async def _default_after_provider_change(conn: Conn) -> None:
    """A provider enabled or disabled (its row locked by the update): keep the default
    usable, under the default advisory lock (taken after the provider row)."""
    await q_configs.lock_chat_model_config_default(conn)
    await _ensure_default(conn)


async def _after_config_write(conn: Conn, row: ChatModelConfig) -> ChatModelConfig:
    """Keep a live default; return the written row as it stands after that."""
    promoted = await _ensure_default(conn)
    return promoted if promoted is not None and promoted.id == row.id else row


async def _ensure_default(conn: Conn) -> ChatModelConfig | None:
    """If the default is not usable (none, deleted, disabled, or of a disabled provider),
    promote the first usable config (live, enabled, of an enabled provider) in its
    place; return it if promoted. With nothing usable the default stays as it is.

    Callers hold the default advisory lock, so the candidate can only vanish through a
    bug — reported as an internal error, not as the caller's NotFound.
    """
    if await q_configs.get_usable_default_chat_model_config(conn) is not None:
        return None
    first = await q_configs.get_first_usable_chat_model_config(conn)
    if first is None:
        return None
    await q_configs.unset_default_chat_model_configs(conn)
    if await q_configs.set_default_chat_model_config(conn, id=first.id) != 1:
        raise InternalError("the promoted default candidate vanished")
    return expect_row(await q_configs.get_chat_model_config_by_id(conn, id=first.id))


async def _promoted_at(conn: Conn, at: datetime.datetime) -> ChatModelConfig | None:
    """The default promoted by the delete that ran at `at`: one transaction has one
    now(), which stamps both the deleted rows and the promoted one."""
    return await q_configs.get_default_chat_model_config_promoted_at(conn, at=at)


async def _provider_deleted_before(
    conn: Conn, provider: str, at: datetime.datetime
) -> ProviderDeleted:
    """A repeated provider delete: what the delete at `at` (its tombstone's time) did."""
    configs = await q_configs.count_chat_model_configs_deleted_at(conn, provider=provider, at=at)
    return ProviderDeleted(provider, configs, await _promoted_at(conn, at), already_deleted=True)


async def resolve_model(conn: Conn, chat: Chat) -> ChatModelConfig:
    """The chat's own config if usable, else the usable default: never a disabled one
    (one query, ResolveChatModelConfig)."""
    config = await q_configs.resolve_chat_model_config(conn, own_id=chat.model_config_id)
    if config is None:
        raise NoDefaultModelConfig()
    return config
