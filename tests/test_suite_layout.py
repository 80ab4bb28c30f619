"""The test suite is grouped by subject: a file says what it proves, not which tool found
it, and the analyzer's "types like PostgreSQL" cases live in tests/cases/ alone."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).parent
# tools that found tests (mutation testing, property testing), not subjects
TOOLS = ("mut", "mutation", "mutmut", "hypothesis")


def test_no_test_file_is_named_after_a_tool() -> None:
    named = [p.name for p in TESTS.glob("test_*.py") if p.stem.split("_")[1] in TOOLS]
    assert named == []


def test_the_analyzer_typing_cases_are_conformance_cases() -> None:
    """Each analyzer subject its Python tests once typed with their own runner has its
    cases here, judged by tests/test_conformance.py (describe, then PREPARE)."""
    moved = [
        "analyze_select_lists",
        "analyze_expressions",
        "analyze_joins",
        "analyze_dml",
        "analyze_subqueries_and_ctes",
        "shapes_from_set_and_system_columns",
        "utility_statements",
        "assignment_casts",
        "parameters_positional_and_named",
        "prepared_as_postgresql",
        "grouped_columns_accepted",
        "whole_rows",
        "range_expressions",
    ]
    for case in moved:
        assert (TESTS / "cases" / case / "expected.json").exists(), case
    runners = [p.name for p in TESTS.glob("test_analyze*.py") if "same_as_server" in p.read_text()]
    assert runners == []
