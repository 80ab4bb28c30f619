"""The default model config is usable whenever any config is: no admin change leaves
new chats failing with NoDefaultModelConfig while the picker offers usable configs.

The rule, the same for every change: a change that makes the default unusable
(disabling its provider or the config itself) moves the default to the first usable
config, as deleting it does; asking for an unusable default (a disabled config, or one
of a disabled provider) is refused; when nothing is usable the default stays where it
is, and the first config to become usable again takes it.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from chatdb.admin import AdminService
from chatdb.db.models import ChatModelConfig
from chatdb.errors import Conflict, InvalidInput
from tests.world import World, world  # noqa: F401  (the fixture)

# ruff: noqa: F811  (test parameters named after the imported `world` fixture)


async def default_is_usable(world: World) -> ChatModelConfig:
    """The one live default, checked against the picker's usable configs; and a new
    chat works."""
    usable = await AdminService(world.svc.db).list_enabled_model_configs()
    [default] = [c for c in await AdminService(world.svc.db).list_model_configs() if c.is_default]
    assert default.id in {c.id for c in usable}, (default, usable)
    sent = await world.send(uuid.uuid4(), "hello")
    assert sent.message.model_config_id == default.id
    return default


async def two_providers(world: World) -> tuple[ChatModelConfig, ChatModelConfig]:
    for name in ("p", "q"):
        await AdminService(world.svc.db).create_provider(provider=name, display_name=name.upper())
    first = await world.config("p", "a", default=True)
    other = await world.config("q", "b")
    return first, other


def update(config: ChatModelConfig, **changes: Any) -> dict[str, Any]:
    fields = ("id", "provider", "model", "display_name", "context_limit")
    return {**{f: getattr(config, f) for f in fields}, "compression_threshold": 1, **changes}


async def test_disabling_the_default_s_provider_moves_the_default(world: World) -> None:
    first, other = await two_providers(world)
    await AdminService(world.svc.db).set_provider_enabled(provider="p", enabled=False)
    assert (await default_is_usable(world)).id == other.id
    await AdminService(world.svc.db).set_provider_enabled(provider="p", enabled=True)
    await AdminService(world.svc.db).update_provider(provider="q", display_name="Q", enabled=False)
    assert (await default_is_usable(world)).id == first.id


async def test_disabling_the_default_config_moves_the_default(world: World) -> None:
    first, other = await two_providers(world)
    svc = world.svc
    await AdminService(svc.db).update_model_config(**update(first, enabled=False))
    assert (await default_is_usable(world)).id == other.id
    with pytest.raises(InvalidInput) as exc:
        await AdminService(svc.db).update_model_config(
            **update(other, enabled=False, is_default=True)
        )
    assert exc.value.message == "is_default must be false for a disabled config."
    with pytest.raises(InvalidInput):
        await world.config("q", "c", default=True, enabled=False)
    assert (await default_is_usable(world)).id == other.id


async def test_an_unusable_config_cannot_be_made_the_default(world: World) -> None:
    first, other = await two_providers(world)
    svc = world.svc
    off = await world.config("p", "off", enabled=False)
    await AdminService(svc.db).set_provider_enabled(provider="q", enabled=False)
    for config in (off, other):
        with pytest.raises(Conflict) as exc:
            await AdminService(svc.db).set_default_model_config(id=config.id)
        assert exc.value.message == (
            "A disabled model config, or one of a disabled provider, cannot be the default."
        )
    with pytest.raises(Conflict):
        await AdminService(svc.db).update_model_config(**update(other, is_default=True))
    with pytest.raises(Conflict):
        await world.config("q", "new", default=True)
    assert (await default_is_usable(world)).id == first.id


async def test_with_nothing_usable_the_first_config_usable_again_becomes_the_default(
    world: World,
) -> None:
    first, other = await two_providers(world)
    svc = world.svc
    await AdminService(svc.db).set_provider_enabled(provider="q", enabled=False)
    await AdminService(svc.db).set_provider_enabled(
        provider="p", enabled=False
    )  # nothing usable now
    assert [c.id for c in await AdminService(svc.db).list_model_configs() if c.is_default] == [
        first.id
    ]
    await AdminService(svc.db).set_provider_enabled(provider="q", enabled=True)
    assert (await default_is_usable(world)).id == other.id
