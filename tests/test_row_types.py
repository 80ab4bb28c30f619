"""`[tool.codegen] rows = "dataclass" | "pydantic" | "msgspec"`: each generates a package
that passes mypy --strict and ruff, and returns the same rows from a real database as the
default (asyncpg Records), as instances of its own kind; pydantic models validate and
serialize in a FastAPI handler, msgspec Structs round-trip through JSON."""

from __future__ import annotations

import dataclasses
import decimal
import importlib
import shutil
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import asyncpg
import pytest

from codegen import cli, migrate
from tests.conftest import ROOT, keep_ruff_line_length, mypy_strict
from tests.golden.expected.golden_db import authors as rec_authors
from tests.golden.expected.golden_db import books as rec_books
from tests.golden.expected.golden_db import runtime as rec_runtime

GOLDEN = ROOT / "tests" / "golden"
KINDS = ("dataclass", "pydantic", "msgspec")


def _generate(dest: Path, rows: str) -> Path:
    """The golden project with `rows = ...`, generated as the package `golden_<rows>`."""
    for sub in ("schema", "queries"):
        shutil.copytree(GOLDEN / sub, dest / sub)
    text = (GOLDEN / "pyproject.toml").read_text()
    text = text.replace('package = "expected/golden_db"', f'package = "golden_{rows}"')
    (dest / "pyproject.toml").write_text(
        text.replace("[tool.codegen]", f'[tool.codegen]\nrows = "{rows}"')
    )
    keep_ruff_line_length(GOLDEN, dest)
    assert cli.main(["generate", "--config", str(dest / "pyproject.toml")]) == 0
    return dest


@contextmanager
def _importable(dest: Path, rows: str) -> Iterator[Path]:
    """`_generate`, with the package importable as `golden_<rows>` until the end."""
    project = _generate(dest, rows)
    sys.path.insert(0, str(project))
    try:
        yield project
    finally:
        sys.path.remove(str(project))
        for name in [m for m in sys.modules if m.startswith(f"golden_{rows}")]:
            del sys.modules[name]


@pytest.fixture(scope="module", params=KINDS)
def kind(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    rows: str = request.param
    with _importable(tmp_path_factory.mktemp(rows), rows) as project:
        yield rows, project


def _module(kind: tuple[str, Path], name: str) -> ModuleType:
    return importlib.import_module(f"golden_{kind[0]}.{name}")


def test_each_kind_passes_mypy_strict(kind: tuple[str, Path]) -> None:
    done = mypy_strict(kind[1], f"golden_{kind[0]}")
    assert done.returncode == 0, done.stdout + done.stderr


def test_record_rows_need_asyncpg_only() -> None:
    """The default package imports nothing from pydantic, msgspec or dataclasses."""
    package = GOLDEN / "expected" / "golden_db"
    text = "\n".join(p.read_text() for p in package.glob("*.py"))
    for library in ("pydantic", "msgspec", "dataclasses"):
        assert f"import {library}" not in text


def plain(value: Any) -> Any:
    """A row of any kind (and the rows nested in it) as a dict; other values as they are."""
    if isinstance(value, rec_runtime.Row):
        return {f: plain(v) for f, v in zip(value._fields, value, strict=True)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    fields = getattr(type(value), "model_fields", None) or getattr(value, "__struct_fields__", None)
    if fields is not None:
        return {f: plain(getattr(value, f)) for f in fields}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


@pytest.fixture
async def conn(empty_db: str) -> AsyncIterator[asyncpg.Connection[asyncpg.Record]]:
    migrate.apply(empty_db, GOLDEN / "schema")
    connection = await rec_runtime.connect(empty_db)
    try:
        yield connection
    finally:
        await connection.close()


async def test_each_kind_returns_the_rows_records_do(
    kind: tuple[str, Path], conn: asyncpg.Connection[asyncpg.Record]
) -> None:
    rows, _ = kind
    authors, books, models = (_module(kind, m) for m in ("authors", "books", "models"))
    made = await authors.create_author(
        conn, name="Ann", bio=None, mood=models.Mood.OK, tags=["t"], meta={"k": [1, 2.5]}
    )
    assert type(made) is models.Author  # the kind's own class, not a Record
    assert plain(made) == plain(await rec_authors.get_author(conn, id=made.id))
    await rec_books.create_books(
        conn, params=[rec_books.CreateBooksParams(made.id, "A", decimal.Decimal("9.50"))]
    )
    pairs = await books.books_with_authors(conn)  # sqlc.embed: models nested in the row
    assert type(pairs[0].a) is models.Author and type(pairs[0].b) is models.Book
    assert plain(pairs) == plain(await rec_books.books_with_authors(conn))
    counted = await authors.authors_with_book_count(conn)  # extends Author
    assert isinstance(counted[0], models.Author) and counted[0].book_count == 1
    assert plain(counted) == plain(await rec_authors.authors_with_book_count(conn))
    batch = await authors.get_authors_batch(conn, params=[authors.GetAuthorsBatchParams(made.id)])
    assert plain(batch) == plain([made])
    assert plain(await authors.author_meta(conn, id=made.id)) == plain(
        await rec_authors.author_meta(conn, id=made.id)
    )
    with pytest.raises((dataclasses.FrozenInstanceError, AttributeError, TypeError, ValueError)):
        made.name = "other"
    assert rows in KINDS


async def test_pydantic_rows_validate_and_serialize_in_a_fastapi_handler(
    tmp_path: Path, conn: asyncpg.Connection[asyncpg.Record]
) -> None:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    with _importable(tmp_path, "pydantic"):
        authors = importlib.import_module("golden_pydantic.authors")
        models = importlib.import_module("golden_pydantic.models")
        ann = await authors.create_author(
            conn, name="Ann", bio="b", mood=models.Mood.OK, tags=["x"], meta={"a": [1, None]}
        )
        app = FastAPI()

        @app.get("/authors/ann", response_model=models.Author)
        def read() -> Any:
            return ann

        def echo(author: Any) -> Any:  # validated from the request body
            return author

        echo.__annotations__["author"] = models.Author  # a class, not this module's string
        app.post("/authors", response_model=models.Author)(echo)

        with TestClient(app) as client:
            got = client.get("/authors/ann")
            assert got.status_code == 200
            assert models.Author.model_validate_json(got.content) == ann
            json_body = {"content-type": "application/json"}
            back = client.post("/authors", content=ann.model_dump_json(), headers=json_body)
            assert back.status_code == 200 and back.json() == got.json()
            bad = client.post("/authors", json={**got.json(), "mood": "furious"})
            assert bad.status_code == 422  # not a Mood


async def test_msgspec_rows_round_trip_through_json(
    tmp_path: Path, conn: asyncpg.Connection[asyncpg.Record]
) -> None:
    import msgspec

    with _importable(tmp_path, "msgspec"):
        authors = importlib.import_module("golden_msgspec.authors")
        models = importlib.import_module("golden_msgspec.models")
        ann = await authors.create_author(
            conn, name="Ann", bio=None, mood=models.Mood.SAD, tags=[], meta=None
        )
        data = msgspec.json.encode(ann)
        assert msgspec.json.decode(data, type=models.Author) == ann


def test_an_unknown_rows_value_is_a_config_error(tmp_path: Path) -> None:
    project = _generate(tmp_path, "dataclass")
    config = project / "pyproject.toml"
    config.write_text(config.read_text().replace('rows = "dataclass"', 'rows = "namedtuple"'))
    assert cli.main(["generate", "--config", str(config)]) == 1


def test_an_sqlc_project_names_its_rows_kind_in_its_codegen_block(tmp_path: Path) -> None:
    from codegen import config as cfg

    (tmp_path / "schema.sql").write_text("CREATE TABLE t (id int);\n")
    (tmp_path / "query.sql").write_text("-- name: GetT :many\nSELECT id FROM t;\n")
    (tmp_path / "sqlc.yaml").write_text(
        'version: "2"\nsql:\n  - engine: postgresql\n    schema: schema.sql\n'
        "    queries: query.sql\ncodegen:\n  rows: msgspec\n"
    )
    assert cfg.load(tmp_path / "pyproject.toml").rows == "msgspec"  # no pyproject: sqlc.yaml
