"""Input validation's limits, at their exact edges (found by `python -m mutation validate`).

Each test states one promise of `chatdb.validate`: a value just inside a documented limit
is accepted unchanged, one just past it is `InvalidInput` naming the field and the limit.
No database: these are the checks that run before any SQL.
"""

from __future__ import annotations

import math
import sys
import uuid

import pytest

from chatdb import validate as v
from chatdb.errors import InvalidInput


def refused(call: object, *args: object, **kw: object) -> str:
    with pytest.raises(InvalidInput) as exc:
        call(*args, **kw)  # type: ignore[operator]
    return str(exc.value)


def nested(depth: int) -> object:
    doc: object = "leaf"
    for _ in range(depth):
        doc = [doc]
    return doc


def test_nesting_is_accepted_up_to_the_depth_limit_and_refused_past_it() -> None:
    deepest = nested(v.JSON_MAX_DEPTH)
    assert v.json_document(deepest, "doc") is deepest
    msg = refused(v.json_document, nested(v.JSON_MAX_DEPTH + 1), "doc")
    assert msg == f"doc is nested more than {v.JSON_MAX_DEPTH} levels deep."


def test_nesting_through_objects_counts_the_same_as_through_lists() -> None:
    doc: object = 1
    for _ in range(v.JSON_MAX_DEPTH):
        doc = {"k": doc}
    assert v.json_document(doc, "doc") is doc
    assert "nested more than" in refused(v.json_document, {"k": doc}, "doc")


@pytest.mark.parametrize(
    ("doc", "cost"),
    [
        ("abc", 3 + 2),  # a string: its characters and two quotes
        (["abc"], 3 + 2 + 1 + 2),  # a list: its items, a separator each, two brackets
        ({"abc": None}, 3 + 3 + 8),  # a key: characters, quotes and colon; a scalar: 8
        ((True, 1, 1.5), 3 * 8 + 3 + 2),  # a tuple is a JSON array
        ({"ab": None, "cd": None}, 2 * (2 + 3 + 8)),  # every key counts
        (["x", ["abc"]], (2 + 2) + (1 + 2) + (1 + 2) + (3 + 2)),  # every list counts
    ],
)
def test_a_document_is_accepted_at_its_size_budget_and_refused_one_below(
    doc: object, cost: int
) -> None:
    assert v.json_document(doc, "doc", max_size=cost) is doc
    msg = refused(v.json_document, doc, "doc", max_size=cost - 1)
    assert msg == f"doc is larger than {cost - 1} characters in all."


def test_the_default_size_budget_is_json_max_size() -> None:
    fits = "x" * (v.JSON_MAX_SIZE - 2)
    assert v.json_document(fits, "doc") is fits
    assert "larger than" in refused(v.json_document, fits + "x", "doc")


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({1: "a"}, "doc has a key that is not a string."),
        ({"k": object()}, "doc is not JSON (found object)."),
        ([math.nan], "doc has a number JSON cannot hold (NaN or infinity)."),
        ([-math.inf], "doc has a number JSON cannot hold (NaN or infinity)."),
        ([v.JSON_INT_LIMIT], "doc has an integer too large to store."),
        ([-v.JSON_INT_LIMIT], "doc has an integer too large to store."),
        (["a\x00b"], "doc must not contain NUL characters."),
        ({"a\x00": 1}, "doc must not contain NUL characters."),
    ],
)
def test_what_json_cannot_hold_is_refused_with_the_reason(doc: object, message: str) -> None:
    assert refused(v.json_document, doc, "doc") == message


def test_the_largest_storable_integers_and_finite_floats_are_accepted() -> None:
    doc = [v.JSON_INT_LIMIT - 1, -(v.JSON_INT_LIMIT - 1), 1e308, None, False]
    assert v.json_document(doc, "doc") is doc


def test_json_object_is_an_object_or_nothing() -> None:
    assert v.json_object(None, "options") == {}
    assert v.json_object({"a": [1]}, "options") == {"a": [1]}
    assert refused(v.json_object, [1], "options") == "options must be a JSON object."
    assert refused(v.json_object, {"a": math.nan}, "options").startswith("options has")


def test_string_list_is_bounded_in_items_and_holds_only_strings() -> None:
    assert v.string_list(None, "tags") is None
    full = ["t"] * v.LIST_MAX_ITEMS
    assert v.string_list(full, "tags") == full
    over = refused(v.string_list, [*full, "t"], "tags")
    assert over == f"tags has more than {v.LIST_MAX_ITEMS} items."
    assert refused(v.string_list, ["a", 1], "tags") == "tags must be a list of strings."
    assert refused(v.string_list, "ab", "tags") == "tags must be a list of strings."
    assert refused(v.string_list, ["a\x00"], "tags") == "tags must not contain NUL characters."


def test_text_limits_are_inclusive_and_each_refusal_names_the_field() -> None:
    assert v.text("x" * 5, "title", max_len=5) == "xxxxx"
    assert refused(v.text, "x" * 6, "title", max_len=5) == "title is longer than 5 characters."
    assert refused(v.text, " \n", "title", max_len=5) == "title must not be empty."
    assert v.text("", "title", max_len=5, empty_ok=True) == ""
    assert refused(v.text, 5, "title", max_len=5) == "title must be a string."
    assert v.opt_text(None, "title", max_len=5) is None
    assert v.opt_text("", "title", max_len=5) == ""
    assert refused(v.opt_text, "x" * 6, "title", max_len=5).startswith("title is longer")


def test_text_is_empty_exactly_when_strip_leaves_nothing() -> None:
    """`text` tells blank text without copying it; blank is what str.strip() removes,
    checked over every code point (surrogates apart: they are refused as invalid)."""
    for code in range(sys.maxunicode + 1):
        if 0xD800 <= code <= 0xDFFF or code == 0:
            continue
        value = chr(code) * 2
        blank = not value.strip()
        try:
            v.text(value, "title", max_len=5)
        except InvalidInput as exc:
            assert blank and str(exc) == "title must not be empty.", hex(code)
        else:
            assert not blank, hex(code)


def test_only_text_that_is_not_valid_unicode_is_refused_as_such() -> None:
    assert v.text("é ✓ 𝄞", "title", max_len=5) == "é ✓ 𝄞"
    assert refused(v.text, "a\ud800", "title", max_len=5) == "title is not valid Unicode text."
    assert refused(v.text, "\udfff", "title", max_len=5) == "title is not valid Unicode text."


def test_integers_are_checked_inclusively_and_bools_are_not_integers() -> None:
    assert v.integer(1, "n", 1, 3) == 1
    assert v.integer(3, "n", 1, 3) == 3
    for bad in (0, 4, True, 2.0, "2"):
        assert refused(v.integer, bad, "n", 1, 3) == "n must be an integer from 1 to 3."
    assert v.boolean(False, "flag") is False
    assert refused(v.boolean, 0, "flag") == "flag must be true or false."


def test_uuids_and_choices() -> None:
    u = uuid.uuid4()
    assert v.as_uuid(u, "id") is u
    assert v.as_uuid(str(u), "id") == u
    assert v.opt_uuid(None, "id") is None
    assert v.opt_uuid(str(u), "id") == u
    for bad in ("nope", 5, None):
        assert refused(v.as_uuid, bad, "id") == "id is not a valid UUID."
    assert refused(v.opt_uuid, "nope", "chat_id") == "chat_id is not a valid UUID."
    allowed = frozenset({"user", "assistant"})
    assert v.choice("user", "role", allowed) == "user"
    for bad in ("admin", 1):
        assert refused(v.choice, bad, "role", allowed) == "role must be one of: assistant, user."
