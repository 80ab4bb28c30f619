"""What JSON is accepted depends on the validated depth only: not on a leaf's text
(floats such as 1e+23 take a slower, exact path) nor on how deep the caller's stack is.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from chatdb.admin import AdminService
from chatdb.db import runtime
from chatdb.errors import InvalidInput
from chatdb.validate import JSON_MAX_DEPTH
from tests.world import World, world  # noqa: F401  (the fixture)

# ruff: noqa: F811  (test parameters named after the imported `world` fixture)

LEAVES = [1e23, "has e+ in its text", 0.5, None]


def nested(leaf: Any, depth: int = JSON_MAX_DEPTH) -> dict[str, Any]:
    """An options object whose leaf sits at `depth` (the object itself is depth 0)."""
    value = leaf
    for _ in range(depth - 1):
        value = [value]
    return {"k": value}


async def at_stack_depth(frames: int, call: Callable[[], Awaitable[Any]]) -> Any:
    """`call` awaited from `frames` nested coroutine frames (a deep caller)."""
    if frames == 0:
        return await call()
    return await at_stack_depth(frames - 1, call)


@pytest.mark.parametrize("leaf", LEAVES, ids=repr)
@pytest.mark.parametrize("frames", [0, 450])
async def test_the_deepest_valid_document_is_stored_whatever_its_leaf_and_the_stack(
    world: World, leaf: Any, frames: int
) -> None:
    await AdminService(world.svc.db).create_provider(provider="p", display_name="P")
    options = nested(leaf)
    config = await at_stack_depth(frames, lambda: world.config_with(options=options))
    assert config.options == options
    assert type(_leaf(config.options)) is type(leaf)  # 1e+23 stays a float
    with pytest.raises(InvalidInput) as exc:
        await world.config_with(options=nested(leaf, JSON_MAX_DEPTH + 1))
    assert exc.value.message == f"options is nested more than {JSON_MAX_DEPTH} levels deep."


def _leaf(value: Any) -> Any:
    value = value["k"]
    while isinstance(value, list):
        [value] = value
    return value


def test_the_exact_float_encoding_writes_what_json_dumps_writes_but_the_floats() -> None:
    document: dict[str, Any] = {
        "a": [1.5, {"b": 1e23, "c": [True, None, "x\u00e9\n", -7]}],
        "e+": {},
        "l": [],
    }
    text = runtime._json_encode(document).decode()
    assert text == json.dumps(document, separators=(",", ":"), ensure_ascii=False).replace(
        "1e+23", "100000000000000000000000.0"
    )
    assert json.loads(text) == document
    deep = nested(1e23, sys.getrecursionlimit() + 10)  # deeper than any recursion allows
    encoded = runtime._json_encode(deep)  # both ways without recursion:
    assert runtime._json_encode(runtime._json_decode(encoded)) == encoded
    assert encoded.startswith(b'{"k":[[') and b"[[100000000000000000000000.0]]" in encoded
    assert runtime._json_decode(b'{"a":{"b":[1,-2.5e-3,"\\"x",true,null,{}]},"c":[]}') == {
        "a": {"b": [1, -0.0025, '"x', True, None, {}]},
        "c": [],
    }
    looped: list[Any] = []
    looped.append(looped)
    with pytest.raises(ValueError, match="Circular reference"):
        runtime._json_encode(looped)
