"""Nullability rules the analyzer tests left unpinned (found by `python -m mutation
nullability`), each checked against the rule's reason in PostgreSQL's own catalog."""

from __future__ import annotations

from codegen.pgtypes import builtins
from tests.test_analyze import cols


def test_a_non_strict_function_may_return_null_even_for_not_null_arguments() -> None:
    """pg_proc says array_append is not strict: it decides NULL itself (and returns NULL
    for a NULL array), so without a NEVER_NULL entry its result is nullable."""
    assert not any(f.strict for f in builtins().functions["array_append"])
    assert cols("SELECT array_append(tags, name) AS t FROM authors") == [("t", "_text", True)]


def test_a_strict_function_of_not_null_arguments_is_not_null() -> None:
    assert all(f.strict for f in builtins().functions["upper"])
    assert cols("SELECT upper(name) AS u, upper(bio) AS b FROM authors") == [
        ("u", "text", False),
        ("b", "text", True),
    ]


def test_a_star_beside_a_rollup_makes_every_rolled_up_column_nullable() -> None:
    """A subtotal row of ROLLUP has NULL for what it rolls up; with `r.*` expanded the
    columns no longer line up with the select list, and still each one is nullable."""
    got = cols(
        "SELECT r.*, count(*) AS n FROM reviews r "
        "GROUP BY ROLLUP (r.id, r.book_id, r.stars, r.body)"
    )
    assert [(n, nullable) for n, _, nullable in got[:4]] == [
        ("id", True),
        ("book_id", True),
        ("stars", True),
        ("body", True),
    ]
    assert got[4][:2] == ("n", "int8")
