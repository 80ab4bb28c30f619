"""An extension the generator has no dump of (timescaledb, pg_hint_plan, ...) does not sink the
schema: the types its columns name are taken as opaque, read and written as text (`str`),
and only queries that call its functions or operators are refused, naming them.

Judged on a real server: `isn` stands in for such an extension (its dump is hidden from the
catalog for the test); PostgreSQL's PREPARE agrees on every type, and a row round-trips.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from codegen import cli
from codegen.catalog import routines
from codegen.extensions import extension_names
from tests.conftest import generated_project

SCHEMA = """
CREATE EXTENSION IF NOT EXISTS isn;
CREATE TABLE books (id int PRIMARY KEY, code isbn13 NOT NULL, older isbn13[], title text);
"""
QUERIES = """
-- name: AddBook :exec
INSERT INTO books (id, code, older, title) VALUES (@id, @code, @older, @title);

-- name: GetBook :one
SELECT id, code, older FROM books WHERE id = @id;
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(routines, "extension_names", lambda: extension_names() - {"isn"})
    return generated_project(tmp_path, SCHEMA, QUERIES, "books", generate=False)


def test_opaque_types_are_strings_and_postgresql_agrees(
    project: Path, admin_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(project / "pyproject.toml")
    assert cli.main(["generate", "--config", config]) == 0
    models = (project / "books_db" / "books.py").read_text()
    assert "def code(self) -> str: ..." in models
    assert "def older(self) -> list[str] | None: ..." in models
    assert cli.main(["verify", "--config", config, "--dsn", admin_dsn]) == 0
    assert "0 rejected by PostgreSQL, 0 type mismatches" in capsys.readouterr().out


def test_calling_its_operators_is_refused_naming_them(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "queries" / "books.sql").write_text(
        QUERIES + "\n-- name: ByCode :one\nSELECT id FROM books WHERE code = @code::isbn13;\n"
    )
    assert cli.main(["generate", "--config", str(project / "pyproject.toml")]) == 1
    err = capsys.readouterr().err
    assert "ByCode" in err and "=(isbn13, isbn13)" in err
    assert not (project / "books_db").exists()


async def test_round_trip(project: Path, empty_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli.main(["generate", "--config", str(project / "pyproject.toml")]) == 0
    monkeypatch.syspath_prepend(str(project))
    books = importlib.import_module("books_db.books")
    runtime = importlib.import_module("books_db.runtime")
    conn = await runtime.connect(empty_db)
    try:
        await conn.execute(SCHEMA)
        await books.add_book(
            conn, id=1, code="978-0-306-40615-7", older=["978-0-306-40615-7"], title="x"
        )
        row = await books.get_book(conn, id=1)
    finally:
        await conn.close()
    assert row is not None and row.code == "978-0-306-40615-7"
    assert row.older == ["978-0-306-40615-7"]
