"""Stage 1 (codegen.parse): headers, doc comments, parameters and the rewritten SQL."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codegen import parse
from codegen.commands import Command
from codegen.errors import CodegenError
from tests.conftest import ROOT

# The seed query file, byte for byte; the repo keeps a vendored copy for machines without
# /work/shared.
_SHARED_SEED = Path("/work/shared/seed/chatmodelconfigs.sql")
SEED = _SHARED_SEED if _SHARED_SEED.exists() else ROOT / "tests/fixtures/chatmodelconfigs.seed.sql"


def one(text: str) -> parse.Query:
    queries = parse.parse_file("q.sql", text)
    assert len(queries) == 1
    return queries[0]


def params(q: parse.Query) -> list[tuple[int, str, bool | None, bool]]:
    return [(p.number, p.name, p.nullable, p.is_slice) for p in q.params]


# -- headers ---------------------------------------------------------------------------


@pytest.mark.parametrize("command", list(Command))
def test_every_command_is_accepted(command: Command) -> None:
    q = one(f"-- name: DoIt :{command}\nSELECT 1;\n")
    assert (q.name, q.command) == ("DoIt", command)


def test_name_header_position_and_line() -> None:
    text = "\n\n-- name: GetThing :one\nSELECT 1;\n"
    q = one(text)
    assert q.line == 3
    assert q.name_offset == text.index("GetThing")
    assert q.source.path == "q.sql"


def test_several_queries_in_order_with_their_sql() -> None:
    text = (
        "-- name: A :one\nSELECT 1;\n\n"
        "-- name: B :many\nSELECT 2;\n"
        "-- name: C :exec\nSELECT 3"  # no trailing semicolon on the last statement
    )
    queries = parse.parse_file("q.sql", text)
    assert [(q.name, q.command, q.sql) for q in queries] == [
        ("A", "one", "SELECT 1"),
        ("B", "many", "SELECT 2"),
        ("C", "exec", "SELECT 3"),
    ]


def test_header_glued_to_the_previous_statement_line() -> None:
    # The project's chatmodelconfigs.sql has `...;-- name: X :one` on one line.
    queries = parse.parse_file("q.sql", "-- name: A :exec\nSELECT 1;-- name: B :one\nSELECT 2;\n")
    assert [(q.name, q.sql) for q in queries] == [("A", "SELECT 1"), ("B", "SELECT 2")]
    assert queries[1].doc == ()


def test_comments_with_no_statement_are_ignored() -> None:
    assert parse.parse_file("q.sql", "-- just a note\n/* and another */\n") == []


def test_doc_comments_above_and_below_the_header() -> None:
    q = one(
        "-- Not this: a blank line separates it.\n"
        "\n"
        "-- Above one.\n"
        "-- Above two.\n"
        "-- name: Q :many\n"
        "-- Below.\n"
        "/* Block\n"
        " * second line */\n"
        "SELECT 1;\n"
    )
    assert q.doc == ("Above one.", "Above two.", "Below.", "Block", "second line")


def test_comment_trailing_the_previous_statement_is_not_doc() -> None:
    queries = parse.parse_file(
        "q.sql", "-- name: A :exec\nSELECT 1; -- about A\n-- name: B :exec\nSELECT 2;\n"
    )
    assert queries[1].doc == ()


def test_comments_inside_the_statement_stay_in_the_sql() -> None:
    q = one("-- name: Q :many\nSELECT 1 -- one\n, 2;\n")
    assert q.sql == "SELECT 1 -- one\n, 2"
    assert q.doc == ()


def test_vet_ignore_directives_are_rules_not_doc() -> None:
    q = one(
        "-- vet: ignore limit-no-order\n"
        "-- name: Q :exec\n"
        "-- Deletes everything.\n"
        "-- vet: ignore no-where, fk-index\n"
        "DELETE FROM t;\n"
    )
    assert q.vet_ignore == {"no-where", "limit-no-order", "fk-index"}
    assert q.doc == ("Deletes everything.",)


def test_no_vet_directive_means_nothing_ignored() -> None:
    assert one("-- name: Q :exec\nDELETE FROM t;\n").vet_ignore == frozenset()


# -- parameters ------------------------------------------------------------------------


def test_at_name() -> None:
    q = one("-- name: Q :many\nSELECT * FROM t WHERE a = @a AND b = @b_2;\n")
    assert q.sql == "SELECT * FROM t WHERE a = $1 AND b = $2"
    assert params(q) == [(1, "a", None, False), (2, "b_2", None, False)]
    assert not any(p.positional for p in q.params)


def test_sqlc_arg_and_narg_with_and_without_quotes() -> None:
    q = one(
        "-- name: Q :many\n"
        "SELECT * FROM t WHERE a = sqlc.arg(a) AND b = sqlc.arg('b') AND c = sqlc.narg('c')"
        ' AND d = sqlc.narg(d) AND e = sqlc.arg("e");\n'
    )
    assert q.sql == "SELECT * FROM t WHERE a = $1 AND b = $2 AND c = $3 AND d = $4 AND e = $5"
    assert params(q) == [
        (1, "a", None, False),
        (2, "b", None, False),
        (3, "c", True, False),
        (4, "d", True, False),
        (5, "e", None, False),
    ]


def test_macros_are_case_insensitive_and_keep_casts() -> None:
    q = one("-- name: Q :many\nSELECT * FROM t WHERE a = SQLC.ARG(a)::uuid;\n")
    assert q.sql == "SELECT * FROM t WHERE a = $1::uuid"


def test_slice_in_becomes_any() -> None:
    q = one("-- name: Q :many\nSELECT * FROM t WHERE id IN (sqlc.slice(ids)) AND x = @x;\n")
    assert q.sql == "SELECT * FROM t WHERE id = ANY($1) AND x = $2"
    assert params(q) == [(1, "ids", None, True), (2, "x", None, False)]


def test_slice_not_in_becomes_all() -> None:
    q = one("-- name: Q :many\nSELECT * FROM t WHERE id NOT IN (sqlc.slice('ids'));\n")
    assert q.sql == "SELECT * FROM t WHERE id <> ALL($1)"
    assert params(q) == [(1, "ids", None, True)]


def test_slice_outside_in_is_just_the_array_parameter() -> None:
    q = one("-- name: Q :many\nSELECT * FROM t WHERE id = ANY(sqlc.slice(ids));\n")
    assert q.sql == "SELECT * FROM t WHERE id = ANY($1)"
    assert params(q) == [(1, "ids", None, True)]


def test_same_name_twice_is_one_parameter() -> None:
    q = one("-- name: Q :many\nSELECT * FROM t WHERE a = @x OR b = @x OR c = sqlc.arg(x);\n")
    assert q.sql == "SELECT * FROM t WHERE a = $1 OR b = $1 OR c = $1"
    assert params(q) == [(1, "x", None, False)]


def test_narg_anywhere_makes_the_parameter_nullable() -> None:
    q = one("-- name: Q :many\nSELECT * FROM t WHERE a = @x OR sqlc.narg(x) IS NULL;\n")
    assert params(q) == [(1, "x", True, False)]


def test_positional_parameters() -> None:
    q = one("-- name: Q :many\nSELECT * FROM t WHERE b = $2 AND a = $1 AND c = $1;\n")
    assert q.sql == "SELECT * FROM t WHERE b = $2 AND a = $1 AND c = $1"
    assert [(p.number, p.name, p.positional) for p in q.params] == [
        (1, "p1", True),
        (2, "p2", True),
    ]


def test_parameter_names_stay_sql_names() -> None:
    # Python names (from_, conn_, class_) are render's: see tests/test_naming.py.
    q = one("-- name: Q :many\nSELECT * FROM t WHERE a = @from AND b = @conn AND c = @class;\n")
    assert [p.name for p in q.params] == ["from", "conn", "class"]


def test_operator_glued_to_a_parameter() -> None:
    # The scanner reads `=@` as one operator; there is no such operator, so it is `= @id`.
    q = one("-- name: Q :many\nSELECT * FROM t WHERE id=@id AND n<>@n AND tags <@@tags;\n")
    assert q.sql == "SELECT * FROM t WHERE id=$1 AND n<>$2 AND tags <@$3"
    assert [p.name for p in q.params] == ["id", "n", "tags"]


def test_real_at_operators_are_left_alone() -> None:
    q = one("-- name: Q :many\nSELECT * FROM t WHERE tags @> @want AND @ x > 1 AND a <@ b;\n")
    assert q.sql == "SELECT * FROM t WHERE tags @> $1 AND @ x > 1 AND a <@ b"
    assert [p.name for p in q.params] == ["want"]


def test_at_inside_string_literals_and_identifiers_is_untouched() -> None:
    sql = (
        "SELECT '@not_a_param', E'\\'@nope', $$ @nor_this $$, \"@col\" "
        "FROM t WHERE email = 'a@b.example' AND x = @x"
    )
    q = one(f"-- name: Q :many\n{sql};\n")
    assert q.sql == sql.replace("@x", "$1")
    assert [p.name for p in q.params] == ["x"]


def test_semicolons_inside_quotes_do_not_split() -> None:
    text = (
        "-- name: A :many\n"
        "SELECT 'a;b' AS \"x;y\", $$;$$ FROM t WHERE c = @c;\n"
        "-- name: B :one\n"
        "SELECT /* ; */ 1;\n"
    )
    queries = parse.parse_file("q.sql", text)
    assert [q.name for q in queries] == ["A", "B"]
    assert queries[0].sql == "SELECT 'a;b' AS \"x;y\", $$;$$ FROM t WHERE c = $1"
    assert queries[1].sql == "SELECT /* ; */ 1"


def test_embed_becomes_star_and_is_recorded() -> None:
    q = one("-- name: Q :many\nSELECT sqlc.embed(a), b.x FROM a JOIN b ON b.id = a.id;\n")
    assert q.sql == "SELECT a.*, b.x FROM a JOIN b ON b.id = a.id"
    assert [e.name for e in q.embeds] == ["a"]
    assert q.params == ()


def test_file_offsets_map_back_through_rewrites() -> None:
    text = "-- name: Q :many\nSELECT * FROM t WHERE a = sqlc.narg('long_name') AND nope = 1;\n"
    q = one(text)
    assert q.file_offset(q.sql.index("nope")) == text.index("nope")
    assert q.file_offset(q.sql.index("$1")) == text.index("sqlc.narg")
    assert q.file_offset(0) == text.index("SELECT")


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=40))
def test_string_literal_contents_never_change(content: str) -> None:
    literal = "'" + content.replace("'", "''") + "'"
    q = one(f"-- name: Q :many\nSELECT {literal} AS s, @p::int AS p;\n")
    assert q.sql == f"SELECT {literal} AS s, $1::int AS p"
    assert [p.name for p in q.params] == ["p"]


# -- names -----------------------------------------------------------------------------


# -- errors (the CLI side is in test_errors.py) ----------------------------------------


@pytest.mark.parametrize(
    ("text", "message", "at"),
    [
        ("SELECT 1;\n", "has no '-- name:", "SELECT"),
        ("-- name: Q\nSELECT 1;\n", "has no command", "\n"),
        ("-- name: Q :fetch\nSELECT 1;\n", "unknown command ':fetch'", ":fetch"),
        ("-- name: Q :one extra\nSELECT 1;\n", "unexpected text", "extra"),
        ("-- name: 1Q :one\nSELECT 1;\n", "not an identifier", "1Q"),
        ("-- name: Q :one\nSELECT sqlc.nope(x);\n", "unknown macro sqlc.nope", "nope"),
        ("-- name: Q :one\nSELECT $2;\n", "$1 is never used", "SELECT"),
        ("-- name: Q :one\nSELECT @x, sqlc.slice(x);\n", "both as a slice", "sqlc"),
        ("-- name: Q :one\nSELECT FROM WHERE;\n", "syntax error", "WHERE"),
        ("-- name: Q :one\nSELECT 'open;\n", "unterminated quoted string", "'open"),
        # No position from the parser: the end of the statement.
        ("-- name: Q :one\nSELECT (1 ;\n", "syntax error at end of input", " ;"),
        ("-- name: Q :one\nSELECT 1 AS", "syntax error at end of input", "\0"),
    ],
)
def test_parse_errors_point_at_the_problem(text: str, message: str, at: str) -> None:
    with pytest.raises(CodegenError) as info:
        parse.parse_file("q.sql", text)
    assert message in info.value.message
    assert info.value.offset == (len(text) if at == "\0" else text.index(at))


# -- the seed file ---------------------------------------------------------------------

SEED_QUERIES = [
    ("GetChatModelConfigByID", "one", ["id"]),
    ("GetDefaultChatModelConfig", "one", []),
    ("GetChatModelConfigs", "many", []),
    ("GetEnabledChatModelConfigs", "many", []),
    ("GetEnabledChatModelConfigByID", "one", ["id"]),
    (
        "InsertChatModelConfig",
        "one",
        [
            "provider",
            "model",
            "display_name",
            "created_by",
            "updated_by",
            "enabled",
            "is_default",
            "context_limit",
            "compression_threshold",
            "options",
        ],
    ),
    (
        "UpdateChatModelConfig",
        "one",
        [
            "provider",
            "model",
            "display_name",
            "updated_by",
            "enabled",
            "is_default",
            "context_limit",
            "compression_threshold",
            "options",
            "id",
        ],
    ),
    ("UnsetDefaultChatModelConfigs", "exec", []),
    ("DeleteChatModelConfigByID", "exec", ["id"]),
    ("DeleteChatModelConfigsByProvider", "exec", ["provider"]),
]


def test_seed_file_parses_into_its_ten_queries() -> None:
    queries = parse.parse_file(str(SEED), SEED.read_text())
    got = [(q.name, q.command, [p.name for p in q.params]) for q in queries]
    assert got == SEED_QUERIES
    nullable = {(q.name, p.name) for q in queries for p in q.params if p.nullable}
    assert nullable == {
        ("InsertChatModelConfig", "created_by"),
        ("InsertChatModelConfig", "updated_by"),
        ("UpdateChatModelConfig", "updated_by"),
    }


def test_seed_sql_is_the_original_except_the_parameter_markers() -> None:
    text = SEED.read_text()
    queries = parse.parse_file(str(SEED), text)
    # The seed has no ';' inside strings, so statements end at each ';'.
    bodies = [b for b in text.split(";") if b.strip()]
    assert len(bodies) == len(queries)
    marker = re.compile(r"sqlc\.narg\('(\w+)'\)|@(\w+)")
    for q, body in zip(queries, bodies, strict=True):
        original = "\n".join(
            line for line in body.strip().splitlines() if not line.startswith("-- name:")
        )
        numbers = {p.name: p.number for p in q.params}

        def number(m: re.Match[str], numbers: dict[str, int] = numbers) -> str:
            return f"${numbers[m[1] or m[2]]}"

        expected = marker.sub(number, original)
        assert q.sql == expected, q.name
        # And nothing else: markers are the only difference.
        assert marker.sub("", original) == re.sub(r"\$\d+", "", q.sql)
