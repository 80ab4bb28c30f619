"""codegen.naming: the one place Python names are made from SQL names."""

from __future__ import annotations

import keyword

import pytest

from codegen import naming
from codegen.errors import CodegenError


@pytest.mark.parametrize(
    ("name", "snake"),
    [
        ("GetChatModelConfigByID", "get_chat_model_config_by_id"),
        ("ListAuthorsByIDs", "list_authors_by_ids"),
        ("GetURLsForID", "get_urls_for_id"),
        ("HTTPServer", "http_server"),
        ("getThing", "get_thing"),
        ("ListUsers", "list_users"),
    ],
)
def test_snake_case(name: str, snake: str) -> None:
    assert naming.snake_case(name) == snake


def test_dedupe_numbers_repeats_from_two() -> None:
    assert naming.dedupe(["a", "b", "a", "a"]) == ["a", "b", "a_2", "a_3"]


def test_parameter_names_escape_keywords_conn_and_runtime_helpers_then_dedupe() -> None:
    sql = ["from", "conn", "class", "rowcount", "rowcount_", "row", "x"]
    names = naming.parameter_names(sql)
    assert names == ["from_", "conn_", "class_", "rowcount_", "rowcount__2", "row", "x"]
    assert all(n.isidentifier() and not keyword.iskeyword(n) for n in names)
    assert naming.parameter_names(["cls", "x"], {"cls"}) == ["cls_", "x"]  # `make`'s


def test_a_body_local_gives_way_to_the_parameters() -> None:
    assert naming.local_name("row", ["id"]) == "row"
    assert naming.local_name("row", ["row", "row_"]) == "row__"


def test_every_keyword_is_escaped_everywhere() -> None:
    for kw in keyword.kwlist:
        assert naming.parameter_names([kw], ())[0] == kw + "_"
        assert not keyword.iskeyword(naming.field_name(kw))
        assert not keyword.iskeyword(naming.function_name(kw.capitalize()))


@pytest.mark.parametrize(
    ("path", "module"),
    [
        ("queries/chat_messages.sql", "chat_messages"),
        ("queries/my-queries.sql", "my_queries"),
        ("queries/models.sql", "models_queries"),
        ("queries/import.sql", "import_queries"),
    ],
)
def test_module_names(path: str, module: str) -> None:
    assert naming.module_name(path) == module


def test_module_name_that_cannot_be_imported_is_an_error_naming_the_file() -> None:
    with pytest.raises(CodegenError, match=r"queries/2fa\.sql: .*'2fa'.* rename the file"):
        naming.module_name("queries/2fa.sql")


def test_enum_members_are_identifiers_and_unique() -> None:
    members = naming.enum_members(["in progress", "in-progress", "1st", "", "class"])
    assert members == ["IN_PROGRESS", "IN_PROGRESS_2", "V_1ST", "EMPTY", "CLASS"]
