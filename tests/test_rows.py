"""Row classes (runtime.Row): what fetched rows and rows built with `make` promise.

Rows are asyncpg Record subclasses built by the driver (`record_class=`); `make` builds the
same kind of row in Python for sqlc.embed and tests. These tests hold both to one
contract: typed names, tuple equality, immutability, and no leaked or lost references.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import AsyncIterator

import asyncpg
import pytest

from codegen import migrate, naming
from tests.conftest import ROOT
from tests.golden.expected.golden_db import authors, books, models, runtime

GOLDEN = ROOT / "tests" / "golden"


def test_make_gives_a_row_of_the_class_with_its_values() -> None:
    values = tuple(object() for _ in models.Author._fields)
    row = runtime.make_row(models.Author, values)
    assert type(row) is models.Author and isinstance(row, asyncpg.Record)
    assert tuple(row) == values and len(row) == len(values)
    assert [getattr(row, f) for f in row._fields] == list(values)
    assert [row[f] for f in row._fields] == list(values)  # Record access by name works too
    assert list(row.keys()) == list(row._fields)
    assert row._asdict() == dict(zip(row._fields, values, strict=True))


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


def test_a_row_class_with_storage_of_its_own_is_refused() -> None:
    class Fat(runtime.Row):  # no __slots__: a __dict__ the Record layout has no room for
        _fields = ("a",)

    with pytest.raises(TypeError, match="must add no storage"):
        runtime.make_row(Fat, (1,))


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
    assert ann is not None and type(ann) is models.Author
    made = runtime.make_row(models.Author, tuple(ann))
    assert made == ann and made._asdict() == ann._asdict()
    await books.create_books(conn, params=[books.CreateBooksParams(ann.id, "A", None)])
    (pair,) = await books.books_with_authors(conn)
    assert type(pair) is books.BooksWithAuthorsRow
    assert type(pair.a) is models.Author and pair.a == ann  # an embed row, built by make
    assert tuple(pair) == (pair.b, pair.a)


def test_no_column_name_shadows_a_row_method() -> None:
    """A column called `keys` or `make` gets a field name that leaves the method alone."""
    methods = [n for n in dir(runtime.Row) if not n.startswith("_")] + ["make"]
    assert {"get", "items", "keys", "values", "make"} <= set(methods)
    for name in methods:
        assert naming.field_name(name) != name
