"""Comments are whitespace: inside or around a parameter or macro they change no type.

The shapes come from the conformance suite's own queries: every `sqlc.<macro>(name)` (with
the `[NOT] IN (` ... `)` around a slice), `@name`, glued `=@name` and `$n`, with the cast
after it when there is one. For one case of each shape, a comment goes in at every token
boundary of the shape, and `describe` must give exactly what it gives without it.
Hypothesis then draws the comment's text (nested block comments, line comments, comments
holding SQL that looks like a marker) at boundaries it picks.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codegen import pipeline
from codegen.errors import SourceText
from codegen.parse.tokens import Tok, is_comment, scan
from tests.test_conformance import CASES, NAMES, REFUSED, case_config, describe


@dataclass(frozen=True)
class Boundary:
    """A place a comment may go: case, queries file (relative to the case), file offset."""

    case: str
    file: str
    offset: int
    shape: str


def _marker_len(toks: list[Tok], i: int) -> int:
    """How many tokens the parameter or macro at `i` spans (0: none), its cast included."""
    t = toks[i]
    n = 0
    if t.text.lower() == "sqlc" and i + 5 < len(toks) and toks[i + 1].text == ".":
        n = 6
    elif t.name == "Op" and t.text.endswith("@") and i + 1 < len(toks):
        n = 2 if toks[i + 1].start == t.end else 0
    elif t.name == "PARAM":
        n = 1
    if n and i + n + 1 < len(toks) and toks[i + n].name == "TYPECAST":
        n += 2
    return n


def _shape_text(toks: list[Tok]) -> str:
    """A shape's tokens with the names left out: one case stands for all that match."""
    words = []
    for k, t in enumerate(toks):
        after = toks[k - 1].text if k > 0 else ""
        named = after.endswith("@") or after == "::" or t.name == "PARAM"
        named = named or (after == "(" and toks[k - 2].text.lower() != "in")
        words.append("n" if named else t.text.lower())
    return " ".join(words)


def _shapes(case: str) -> list[tuple[str, str, list[Tok]]]:
    """(file, shape, tokens) of every marker in a case's queries, with the IN list (and
    its NOT) or the ANY/ALL around a slice."""
    config = case_config(CASES / case)
    out = []
    for path in pipeline.query_files(config):
        text = path.read_text()
        toks = [t for t in scan(SourceText(path.as_posix(), text)) if not is_comment(t)]
        rel = path.relative_to(CASES / case).as_posix()
        for i in range(len(toks)):
            n = _marker_len(toks, i)
            if not n:
                continue
            first, last = i, i + n
            slice_ = toks[i].text.lower() == "sqlc" and toks[i + 2].text.lower() == "slice"
            if slice_ and i >= 2 and toks[i - 2].name in ("IN_P", "ANY", "ALL", "SOME"):
                first = i - 3 if toks[i - 3].name in ("NOT", "NOT_LA") else i - 2
                last += 1
            span = toks[first:last]
            out.append((rel, _shape_text(span), span))
    return out


def _boundaries() -> list[Boundary]:
    seen: set[str] = set()
    out: list[Boundary] = []
    for case in NAMES:
        if case in REFUSED:
            continue
        for file, shape, span in _shapes(case):
            if shape in seen:
                continue
            seen.add(shape)
            # `@name` and `=@name` are one token to the author: no boundary inside
            offsets = [span[0].start, *(t.end for t in span if not t.text.endswith("@"))]
            out.extend(Boundary(case, file, o, shape) for o in offsets)
    return out


BOUNDARIES = _boundaries()
_EXPECTED: dict[str, Any] = {}


def _with_comment(b: Boundary, comment: str, tmp: Path) -> Any:
    """`describe` of the case with `comment` inserted at the boundary (the other cases
    beside it, linked: a case may read a sibling's schema)."""
    copy = tmp / b.case
    if copy.is_symlink():
        copy.unlink()
    elif copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(CASES / b.case, copy)
    for other in CASES.iterdir():
        if other.name != b.case and not (tmp / other.name).exists():
            (tmp / other.name).symlink_to(other, target_is_directory=True)
    path = copy / b.file
    text = path.read_text()
    path.write_text(text[: b.offset] + comment + text[b.offset :])
    return describe(copy)[2]


def _expected(case: str) -> Any:
    if case not in _EXPECTED:
        _EXPECTED[case] = describe(CASES / case)[2]
    return _EXPECTED[case]


def test_the_suite_has_shapes_of_every_marker_kind() -> None:
    shapes = {b.shape for b in BOUNDARIES}
    kinds = ("sqlc . arg ( n )", "sqlc . narg ( n )", "in ( sqlc . slice ( n ) )")
    for kind in (*kinds, "not in (", "any (", "sqlc . embed", "@ n", "=@ n", "@ n :: n", "n"):
        assert any(s.startswith(kind) for s in shapes), (kind, sorted(shapes))


@pytest.mark.parametrize("style", ["/* c */", "-- c\n"])
def test_a_comment_at_every_boundary_changes_no_type(style: str, tmp_path: Path) -> None:
    changed = [
        (b.case, b.shape, b.offset)
        for b in BOUNDARIES
        if _with_comment(b, style, tmp_path) != _expected(b.case)
    ]
    assert not changed, changed


_COMMENTS = st.one_of(
    st.just("/**/"),
    st.just("/* /* nested */ sqlc.arg(x) */"),
    st.text(alphabet="abc )(@$:;'\".*", max_size=12).map(lambda s: f"-- {s}\n"),
    st.text(alphabet="abc )(@$:;'\".-", max_size=12).map(lambda s: f"/* {s} */"),
)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(BOUNDARIES), st.lists(_COMMENTS, min_size=1, max_size=3))
def test_any_comment_text_changes_no_type(b: Boundary, comments: list[str]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        assert _with_comment(b, " ".join(comments), Path(tmp)) == _expected(b.case)
