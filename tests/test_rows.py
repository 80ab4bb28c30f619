"""Row classes (runtime.Row): what fetched rows and rows built with `make` promise.

A generated class (`Author`) is the type functions return; asyncpg builds `Author.Record`
(a Record subclass, `record_class=`) and `make` builds `Author.Tuple` (a tuple subclass),
both with asyncpg's public API only. These tests hold both to one contract: typed names,
tuple equality, immutability, and no leaked or lost references.
"""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from codegen import migrate, naming
from tests.conftest import ROOT
from tests.golden.expected.golden_db import authors, books, models, runtime

GOLDEN = ROOT / "tests" / "golden"


def test_make_gives_a_row_of_the_class_with_its_values() -> None:
    values = tuple(object() for _ in models.Author._fields)
    row = runtime.make_row(models.Author, values)
    assert isinstance(row, models.Author) and type(row) is models.Author.Tuple
    assert tuple(row) == values and len(row) == len(values)
    assert [getattr(row, f) for f in row._fields] == list(values)
    assert [row[i] for i in range(len(values))] == list(values)
    assert row._asdict() == dict(zip(row._fields, values, strict=True))
    assert repr(row).startswith("<Author id=")


def test_rows_are_immutable() -> None:
    row = runtime.make_row(models.Author, tuple(range(len(models.Author._fields))))
    with pytest.raises(AttributeError):
        row.name = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        row[0] = 5  # type: ignore[index]
    assert hash(row) == hash(tuple(range(len(models.Author._fields))))


def test_make_holds_one_reference_per_value_and_releases_it() -> None:
    value = object()
    before = sys.getrefcount(value)
    width = len(models.Author._fields)
    rows = [runtime.make_row(models.Author, (value,) * width) for _ in range(100)]
    assert sys.getrefcount(value) == before + 100 * width
    del rows
    gc.collect()
    assert sys.getrefcount(value) == before


def test_make_checks_the_number_of_values() -> None:
    with pytest.raises(TypeError, match="Author takes"):
        runtime.make_row(models.Author, (1, 2))


class _Liar(tuple):  # type: ignore[type-arg]
    """A tuple whose __len__ says it holds an Author's 7 values while it iterates one."""

    def __len__(self) -> int:
        return 7

    def __iter__(self) -> Iterator[object]:
        return iter([object()])


def test_values_whose_length_and_iteration_disagree_are_refused_not_a_crash() -> None:
    """What `make_row` is given is only iterated: no length is trusted to size memory."""
    assert len(_Liar()) == len(models.Author._fields)
    with pytest.raises(TypeError, match="Author takes 7 values, not 1"):
        runtime.make_row(models.Author, _Liar())
    # in a new process too, where a make_row that trusted len() read past the tuple's end
    code = (
        "from tests.test_rows import _Liar\n"
        "from tests.golden.expected.golden_db import models, runtime\n"
        "try:\n    runtime.make_row(models.Author, _Liar())\n"
        "except TypeError as e:\n    print(e)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "Author takes 7 values, not 1" in done.stdout


def test_a_row_class_with_storage_of_its_own_is_refused() -> None:
    """A row holds its values and nothing else: the Record and tuple made for a class
    must add no storage (a generated class always has __slots__ = ())."""
    with pytest.raises(TypeError, match="must add no storage"):

        class Fat(runtime.Row):  # no __slots__: a __dict__ the Record layout has no room for
            _fields = ("a",)


@pytest.fixture
async def conn(empty_db: str) -> AsyncIterator[asyncpg.Connection[asyncpg.Record]]:
    migrate.apply(empty_db, GOLDEN / "schema")
    connection = await runtime.connect(empty_db)
    try:
        yield connection
    finally:
        await connection.close()


async def test_fetched_and_made_rows_are_the_same_kind_of_row(
    conn: asyncpg.Connection[asyncpg.Record],
) -> None:
    ann = await authors.create_author(
        conn, name="Ann", bio=None, mood=models.Mood.OK, tags=["t"], meta={"k": [1]}
    )
    assert type(ann) is models.Author.Record and isinstance(ann, asyncpg.Record)
    made = runtime.make_row(models.Author, tuple(ann))
    assert made == ann and ann == made
    assert made._asdict() == ann._asdict() and repr(made) == repr(ann)
    await books.create_books(conn, params=[books.CreateBooksParams(ann.id, "A", None)])
    (pair,) = await books.books_with_authors(conn)
    assert isinstance(pair, books.BooksWithAuthorsRow)
    assert isinstance(pair.a, models.Author) and pair.a == ann  # an embed row, built by make
    assert tuple(pair) == (pair.b, pair.a)


def test_no_column_name_shadows_a_row_method() -> None:
    """A column called `keys` or `make` gets a field name that leaves the method alone."""
    fields = set(models.Author._fields)
    row_classes = (models.Author, models.Author.Record, models.Author.Tuple)
    methods = {n for c in row_classes for n in dir(c) if not n.startswith("_")} - fields
    assert {"get", "items", "keys", "values", "make", "Record", "Tuple"} <= methods
    for name in methods:
        assert naming.field_name(name) != name
