"""`sqlc.embed(t)` of an outer-joined table: the nested model is `Model | None`, None when
the join found no row (sqlc emits a non-null struct, which then holds NULLs in fields
typed not null). Judged by a real server and by mypy --strict on the generated package.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import generated_project, mypy_strict

SCHEMA = """
CREATE TABLE authors (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE books (id int PRIMARY KEY, author_id int REFERENCES authors, title text NOT NULL);
CREATE TABLE notes (body text, author_id int NOT NULL REFERENCES authors, at int);
CREATE TABLE tags (label text, author_id int);
"""
QUERIES = """
-- name: AuthorsWithBooks :many
SELECT sqlc.embed(a), sqlc.embed(b)
FROM authors a LEFT JOIN books b ON b.author_id = a.id
ORDER BY a.id, b.id;

-- name: BooksWithAuthors :many
SELECT sqlc.embed(a), b.title
FROM authors a RIGHT JOIN books b ON b.author_id = a.id
ORDER BY b.id;

-- name: AuthorsWithNotes :many
SELECT sqlc.embed(a), sqlc.embed(n)
FROM authors a LEFT JOIN notes n ON n.author_id = a.id
ORDER BY a.id;

-- name: AuthorsWithTags :many
SELECT sqlc.embed(a), sqlc.embed(t)
FROM authors a LEFT JOIN tags t ON t.author_id = a.id
ORDER BY a.id;
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return generated_project(tmp_path, SCHEMA, QUERIES, "library")


def test_the_outer_side_is_optional(project: Path) -> None:
    module = (project / "library_db" / "library.py").read_text()
    assert "def a(self) -> Author: ..." in module
    assert "def b(self) -> Book | None: ..." in module
    check = mypy_strict(project, "library_db")
    assert check.returncode == 0, check.stdout + check.stderr


async def _rows(
    project: Path, db: str, monkeypatch: pytest.MonkeyPatch, inserts: list[str], *queries: str
) -> tuple[ModuleType, list[list[Any]]]:
    """The generated models module, and the rows of each query after SCHEMA and `inserts`
    ran on a fresh database."""
    monkeypatch.syspath_prepend(str(project))
    library = importlib.import_module("library_db.library")
    models = importlib.import_module("library_db.models")
    runtime = importlib.import_module("library_db.runtime")
    conn = await runtime.connect(db)
    try:
        for sql in [SCHEMA, *inserts]:
            await conn.execute(sql)
        return models, [await getattr(library, query)(conn) for query in queries]
    finally:
        await conn.close()


async def test_none_when_the_join_found_no_row(
    project: Path, empty_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    inserts = [
        "INSERT INTO authors VALUES (1, 'Ann'), (2, 'Bob')",
        "INSERT INTO books VALUES (10, 1, 'Alpha'), (11, NULL, 'Orphan')",
    ]
    models, (rows, orphans) = await _rows(
        project, empty_db, monkeypatch, inserts, "authors_with_books", "books_with_authors"
    )
    assert [(r.a.name, r.b and r.b.title) for r in rows] == [("Ann", "Alpha"), ("Bob", None)]
    assert isinstance(rows[0].b, models.Book)
    assert [(r.a and r.a.name, r.title) for r in orphans] == [("Ann", "Alpha"), (None, "Orphan")]


async def test_a_found_row_whose_leading_columns_are_null_is_a_model(
    project: Path, empty_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The generated code tells a found row by a column NOT NULL in its table (here the
    second: the first may be NULL in a row the join found); with no such column (tags), by
    any column not NULL."""
    inserts = [
        "INSERT INTO authors VALUES (1, 'Ann'), (2, 'Bob'), (3, 'Cy')",
        "INSERT INTO notes VALUES (NULL, 1, NULL)",
        "INSERT INTO tags VALUES (NULL, 1), ('x', 3)",
    ]
    models, (notes, tags) = await _rows(
        project, empty_db, monkeypatch, inserts, "authors_with_notes", "authors_with_tags"
    )
    assert [(r.a.name, r.n) for r in notes] == [
        ("Ann", models.Note.make(None, 1, None)),
        ("Bob", None),
        ("Cy", None),
    ]
    assert isinstance(notes[0].n, models.Note)
    assert [(r.a.name, r.t) for r in tags] == [
        ("Ann", models.Tag.make(None, 1)),
        ("Bob", None),
        ("Cy", models.Tag.make("x", 3)),
    ]
