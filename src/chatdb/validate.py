"""Input validation for the service: every value is checked here before any SQL runs.

Why a module of its own: the service composes queries; what a caller may pass is a
separate rule set, with its own limits, and each rule lives once. Every failure is
`InvalidInput` with a message naming the field, so a caller learns what to fix, and the
database never sees a value it would reject (NUL characters, lone surrogates, documents
past jsonb's limits, nesting deep enough to exhaust the interpreter's stack).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from typing import TypeVar

from chatdb.db.runtime import JSONValue
from chatdb.errors import InvalidInput

T = TypeVar("T")
Id = uuid.UUID | str  # what the service accepts as an id: a UUID or its text

TITLE_MAX = 255  # chats.title is varchar(255)
CONTENT_MAX = 1_000_000  # characters of one text field
NAME_MAX = 200
PAGE_MAX = 500
LIST_MAX_ITEMS = 1_000  # items of a list argument (dax_attempts)
JSON_MAX_SIZE = 4_000_000  # estimated characters of one JSON document, all text included
JSON_MAX_DEPTH = 512  # well inside what json.dumps/loads and jsonb handle
JSON_INT_LIMIT = 10**1000  # |int| below this: far inside numeric, printable by Python
_SCALAR_SIZE = 8  # what a number, bool or null counts towards JSON_MAX_SIZE


def as_uuid(value: object, name: str) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    raise InvalidInput(f"{name} is not a valid UUID.")


def opt_uuid(value: object, name: str) -> uuid.UUID | None:
    return None if value is None else as_uuid(value, name)


def text(value: object, name: str, *, max_len: int, empty_ok: bool = False) -> str:
    """Text PostgreSQL can store exactly: no NUL, valid UTF-8, within the column's size."""
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be a string.")
    if not empty_ok and (not value or value.isspace()):  # what strip() strips, no copy
        raise InvalidInput(f"{name} must not be empty.")
    if len(value) > max_len:
        raise InvalidInput(f"{name} is longer than {max_len} characters.")
    if "\x00" in value:
        raise InvalidInput(f"{name} must not contain NUL characters.")
    if not value.isascii():  # ASCII is valid UTF-8: only other text is encoded to check
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidInput(f"{name} is not valid Unicode text.") from None
    return value


def opt_text(value: object, name: str, *, max_len: int) -> str | None:
    return None if value is None else text(value, name, max_len=max_len, empty_ok=True)


def choice(value: object, name: str, allowed: frozenset[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise InvalidInput(f"{name} must be one of: {', '.join(sorted(allowed))}.")
    return value


def integer(value: object, name: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise InvalidInput(f"{name} must be an integer from {lo} to {hi}.")
    return value


def boolean(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{name} must be true or false.")
    return value


def json_document(value: object, name: str, *, max_size: int = JSON_MAX_SIZE) -> JSONValue:
    """A JSON document jsonb stores and gives back unchanged, or InvalidInput.

    Walked with an explicit stack, so a hostile, deeply nested document (lists, tuples
    or dicts) is InvalidInput, never a RecursionError. Bounded in depth and in total
    size (text plus a few characters per scalar), so no document reaches jsonb's 256 MB
    limit. Tuples are JSON arrays; anything that is not JSON is refused.
    """
    size = 0
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > JSON_MAX_DEPTH:
            raise InvalidInput(f"{name} is nested more than {JSON_MAX_DEPTH} levels deep.")
        if isinstance(item, Mapping):
            for k, v in item.items():
                if not isinstance(k, str):
                    raise InvalidInput(f"{name} has a key that is not a string.")
                size += len(text(k, name, max_len=max_size, empty_ok=True)) + 3
                stack.append((v, depth + 1))
        elif isinstance(item, list | tuple):
            size += len(item) + 2
            stack.extend((v, depth + 1) for v in item)
        else:
            size += _scalar_size(item, name, max_size)
        if size > max_size:
            raise InvalidInput(f"{name} is larger than {max_size} characters in all.")
    return value  # type: ignore[return-value]  # checked above: it is a JSONValue


def _scalar_size(item: object, name: str, max_size: int) -> int:
    if isinstance(item, str):
        return len(text(item, name, max_len=max_size, empty_ok=True)) + 2
    if item is None or isinstance(item, bool):
        return _SCALAR_SIZE
    if isinstance(item, int):
        if not -JSON_INT_LIMIT < item < JSON_INT_LIMIT:
            raise InvalidInput(f"{name} has an integer too large to store.")
        return _SCALAR_SIZE
    if isinstance(item, float):
        if not math.isfinite(item):
            raise InvalidInput(f"{name} has a number JSON cannot hold (NaN or infinity).")
        return _SCALAR_SIZE
    raise InvalidInput(f"{name} is not JSON (found {type(item).__name__}).")


def json_object(value: object, name: str) -> dict[str, JSONValue]:
    """An optional JSON object (None is {}), validated as a document."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidInput(f"{name} must be a JSON object.")
    document: dict[str, JSONValue] = dict(value)
    json_document(document, name)
    return document


def string_list(value: object, name: str) -> JSONValue | None:
    """An optional list of strings, bounded in items and in total size."""
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(a, str) for a in value):
        raise InvalidInput(f"{name} must be a list of strings.")
    if len(value) > LIST_MAX_ITEMS:
        raise InvalidInput(f"{name} has more than {LIST_MAX_ITEMS} items.")
    return json_document(list(value), name)
