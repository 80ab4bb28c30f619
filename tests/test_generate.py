"""Stage 4 and the CLI's generate/check: golden output, determinism, lint, and runtime.

The fixture project in tests/golden/ covers every command, an enum, jsonb, arrays, a view,
sqlc.embed and sqlc.slice. Its expected output is committed in tests/golden/expected/;
after an intended change to the generator, rewrite it with

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_generate.py -k golden

and review the diff like any other code change.
"""

from __future__ import annotations

import asyncio
import datetime
import decimal
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from chatdb.db import accounts, chat_messages, chats
from chatdb.db import runtime as chatdb_runtime
from codegen import cli, manifest, migrate, pipeline
from codegen import config as cfg
from codegen.commands import Command
from tests.conftest import ROOT, keep_ruff_line_length, run_codegen
from tests.golden.expected import golden_db
from tests.golden.expected.golden_db import authors, books, models, odd_names, runtime

GOLDEN = ROOT / "tests" / "golden"
EXPECTED = GOLDEN / "expected" / "golden_db"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def copy_project(src: Path, dest: Path, *extra: str) -> Path:
    """pyproject.toml, schema/ and queries/ (plus `extra` paths) of a project; its config."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(src / "pyproject.toml", dest / "pyproject.toml")
    keep_ruff_line_length(src, dest)
    for rel in ("schema", "queries", *extra):
        shutil.copytree(src / rel, dest / rel)
    return dest / "pyproject.toml"


def files_of(directory: Path) -> dict[str, bytes]:
    """The generated files (not the manifest, a cache keyed on the generator's own files:
    tests/test_manifest.py covers it)."""
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
        and "__pycache__" not in p.parts
        and ".mypy_cache" not in p.parts
        and p.name != manifest.NAME
    }


def codegen(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_codegen(*args, cwd=cwd)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The golden project generated afresh into a temporary directory; the package dir."""
    config = copy_project(GOLDEN, tmp_path_factory.mktemp("golden"))
    assert cli.main(["generate", "--config", str(config)]) == 0
    return config.parent / "expected" / "golden_db"


# -- golden output ---------------------------------------------------------------------


def test_golden_output(generated: Path) -> None:
    fresh = files_of(generated)
    if UPDATE:
        shutil.rmtree(EXPECTED, ignore_errors=True)
        ignore = shutil.ignore_patterns("__pycache__", manifest.NAME)
        shutil.copytree(generated, EXPECTED, ignore=ignore)
    committed = files_of(EXPECTED)
    assert sorted(fresh) == sorted(committed)
    for name, content in fresh.items():
        assert content == committed[name], (
            f"{name} differs from tests/golden/expected; if intended, rerun with UPDATE_GOLDEN=1"
        )


def test_golden_covers_every_command() -> None:
    config = cfg.load(GOLDEN / "pyproject.toml")
    result = pipeline.compile_project(config)
    commands = {a.query.command for analyses in result.files.values() for a in analyses}
    assert commands == set(Command)
    queries = [a.query for analyses in result.files.values() for a in analyses]
    assert any(q.embeds for q in queries)
    assert any(p.is_slice for q in queries for p in q.params)
    assert result.catalog.enums["mood"].values == ("happy", "ok", "sad")
    assert sorted(result.catalog.enums) == ["label", "mood"]


def test_generating_twice_is_byte_identical(tmp_path: Path) -> None:
    config = copy_project(GOLDEN, tmp_path)
    package = tmp_path / "expected" / "golden_db"
    assert cli.main(["generate", "--config", str(config)]) == 0
    first = files_of(package)
    assert cli.main(["generate", "--config", str(config)]) == 0
    assert files_of(package) == first
    # And rendering in-process is a pure function of the input.
    loaded = cfg.load(config)
    one = pipeline.render_project(loaded, pipeline.compile_project(loaded))
    two = pipeline.render_project(loaded, pipeline.compile_project(loaded))
    assert one == two
    assert {p.name: t.encode() for p, t in one.items()} == first


def test_generated_files_are_readable_and_keep_their_mode(tmp_path: Path) -> None:
    config = copy_project(GOLDEN, tmp_path)
    package = tmp_path / "expected" / "golden_db"
    umask = os.umask(0)
    os.umask(umask)
    assert cli.main(["generate", "--config", str(config)]) == 0
    modes = {p.name: p.stat().st_mode & 0o777 for p in package.iterdir()}
    assert set(modes.values()) == {0o666 & ~umask}  # as open() makes them, not mkstemp's 0600
    (package / "models.py").chmod(0o640)
    (package / "authors.py").write_text("# stale\n")
    (package / "authors.py").chmod(0o604)
    assert cli.main(["generate", "--config", str(config)]) == 0
    assert (package / "models.py").stat().st_mode & 0o777 == 0o640
    assert (package / "authors.py").stat().st_mode & 0o777 == 0o604
    assert (package / "authors.py").read_text().startswith("# Code generated by codegen.")


def test_queries_with_a_byte_order_mark_and_crlf_line_ends(tmp_path: Path) -> None:
    config = copy_project(GOLDEN, tmp_path)
    text = (tmp_path / "queries" / "books.sql").read_text()
    (tmp_path / "queries" / "books.sql").write_bytes(
        b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode()
    )
    loaded = cfg.load(config)
    result = pipeline.compile_project(loaded)
    queries = [a.query for a in result.files["queries/books.sql"]]
    assert queries[0].name == "CopyBooks"
    assert queries[0].doc == ("Bulk load through COPY.",)
    # Read as text: line ends are \n, so the generated module is the same as without CRLF.
    assert queries[0].sql == "INSERT INTO books (author_id, title, price, isbn, ratings)\n" + (
        "VALUES ($1, $2, $3, $4, $5)"
    )
    rendered = pipeline.render_project(loaded, result)
    assert rendered[loaded.package / "books.py"] == (EXPECTED / "books.py").read_text()


def test_second_generate_reports_nothing_changed(tmp_path: Path) -> None:
    config = copy_project(GOLDEN, tmp_path)
    first = codegen("generate", "--config", str(config), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "(6 changed, 0 removed)" in first.stdout
    second = codegen("generate", "--config", str(config), cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    n = sum(p.read_text().count("-- name:") for p in (GOLDEN / "queries").glob("*.sql"))
    assert f"generated 6 files for {n} queries in expected/golden_db (0 changed, 0 removed)" in (
        second.stdout
    )


def test_describe_prints_every_query_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["describe", "--config", str(GOLDEN / "pyproject.toml")]) == 0
    described = json.loads(capsys.readouterr().out)
    headers = [
        line.split()[2]
        for path in sorted((GOLDEN / "queries").glob("*.sql"))
        for line in path.read_text().splitlines()
        if line.startswith("-- name:")
    ]
    assert [d["name"] for d in described] == headers
    # the dba keys (reads/writes/locks) are tested in test_dba_relations.py
    by_name = {
        d["name"]: {k: v for k, v in d.items() if k not in ("reads", "writes", "locks")}
        for d in described
    }
    assert by_name["ListAuthorsByIDs"] == {
        "name": "ListAuthorsByIDs",
        "command": "many",
        "file": "queries/authors.sql",
        "line": 13,
        "sql": "SELECT id, name FROM authors WHERE id = ANY($1) ORDER BY id",
        "parameters": [{"name": "ids", "number": 1, "type": "_int8", "nullable": False}],
        "columns": [
            {"name": "id", "type": "int8", "nullable": False},
            {"name": "name", "type": "text", "nullable": False},
        ],
        "model": None,
    }
    assert by_name["GetAuthor"]["model"] == "authors"


# -- the generated code is clean -------------------------------------------------------


def tool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def test_generated_code_passes_ruff(generated: Path) -> None:
    settings = str(ROOT / "pyproject.toml")  # the project's rules and line length
    lint = tool("ruff", "check", "--no-cache", "--config", settings, ".", cwd=generated)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = tool("ruff", "format", "--check", "--no-cache", "--config", settings, ".", cwd=generated)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_generated_code_passes_mypy_strict(generated: Path) -> None:
    cache = generated.parent / ".mypy_cache"
    result = tool(
        "mypy",
        "--strict",
        "--cache-dir",
        str(cache),
        "--python-version",
        "3.11",
        "-p",
        "golden_db",
        cwd=generated.parent,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found in 6 source files" in result.stdout


# -- check -------------------------------------------------------------------------------


def test_check_passes_on_the_committed_project() -> None:
    result = codegen("check", cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("generated code is current (")


def test_check_fails_with_a_unified_diff_when_stale(tmp_path: Path) -> None:
    copy_project(ROOT, tmp_path, "src/chatdb/db", "docs")
    ok = codegen("check", cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr

    files = sorted((tmp_path / "queries").glob("*.sql"))
    first, last = files[0], files[-1]
    first.write_text(first.read_text() + "\n-- name: AddedForCheck :one\nSELECT 1 AS added;\n")
    last.unlink()
    stale = codegen("check", cwd=tmp_path)
    assert stale.returncode == 1
    assert "generated code is stale" in stale.stderr
    diff = stale.stdout
    module = f"src/chatdb/db/{first.stem}.py"
    assert f"--- a/{module}\n+++ b/{module}\n" in diff
    added = '+ADDED_FOR_CHECK: Final = """\\\n+-- name: AddedForCheck :one\n+SELECT 1 AS added"""\n'
    assert added in diff
    assert "+async def added_for_check(\n" in diff
    # A queries file that is gone: its module is stale, and so is the package __init__.
    assert f"--- a/src/chatdb/db/{last.stem}.py\n+++ /dev/null\n" in diff
    assert "--- a/src/chatdb/db/__init__.py\n" in diff
    # check never writes.
    assert (tmp_path / f"src/chatdb/db/{last.stem}.py").exists()
    assert "added_for_check" not in (tmp_path / module).read_text()

    assert codegen("generate", cwd=tmp_path).returncode == 0
    assert codegen("check", cwd=tmp_path).returncode == 0


def test_check_notices_a_hand_edit(tmp_path: Path) -> None:
    copy_project(ROOT, tmp_path, "src/chatdb/db", "docs")
    models_py = tmp_path / "src/chatdb/db/models.py"
    models_py.write_text(models_py.read_text() + "# edited by hand\n")
    result = codegen("check", cwd=tmp_path)
    assert result.returncode == 1
    assert "--- a/src/chatdb/db/models.py\n+++ b/src/chatdb/db/models.py\n" in result.stdout
    assert "\n-# edited by hand\n" in result.stdout


# -- runtime: the golden package against a real database -------------------------------


@pytest.fixture
async def conn(empty_db: str) -> AsyncIterator[asyncpg.Connection[asyncpg.Record]]:
    await asyncio.to_thread(migrate.apply, empty_db, GOLDEN / "schema")
    connection = await runtime.connect(empty_db)
    try:
        yield connection
    finally:
        await connection.close()


async def test_runtime_every_command(conn: asyncpg.Connection[asyncpg.Record]) -> None:
    assert golden_db.__all__ == ["authors", "books", "models", "odd_names", "runtime"]

    # :one returning a model; enum, array and jsonb parameters.
    ann = await authors.create_author(
        conn,
        name="Ann",
        bio=None,
        mood=models.Mood.HAPPY,
        tags=["poetry", "prose"],
        meta={"city": "Oslo", "langs": ["no", "en"], "n": 1.5},
    )
    assert ann is not None
    assert isinstance(ann, models.Author)
    assert (ann.name, ann.bio, ann.tags) == ("Ann", None, ["poetry", "prose"])
    assert ann.mood is models.Mood.HAPPY  # decoded to the StrEnum, not str
    assert ann.meta == {"city": "Oslo", "langs": ["no", "en"], "n": 1.5}  # decoded JSON
    assert isinstance(ann.created_at, datetime.datetime)
    bob = await authors.create_author(
        conn, name="Bob", bio="b", mood=models.Mood.SAD, tags=[], meta=None
    )
    assert bob is not None and bob.meta is None and bob.mood == "sad"

    assert await authors.get_author(conn, id=ann.id) == ann
    assert await authors.get_author(conn, id=-1) is None
    assert await authors.list_authors_by_mood(conn, mood=models.Mood.SAD) == [bob]

    # sqlc.slice: IN and NOT IN.
    by_ids = await authors.list_authors_by_ids(conn, ids=[bob.id, ann.id, -5])
    assert by_ids == [authors.ListAuthorsByIDsRow.make(ann.id, "Ann"), (bob.id, "Bob")]
    assert await authors.list_authors_by_ids(conn, ids=[]) == []
    assert await authors.list_authors_not_in(conn, ids=[ann.id]) == [bob.id]

    # sqlc.narg: NULL means "any mood".
    found = await authors.search_authors(conn, mood=None, tags=["prose", "x"], max_rows=10)
    assert [(r.name, r.mood) for r in found] == [("Ann", models.Mood.HAPPY)]
    assert (
        await authors.search_authors(conn, mood=models.Mood.SAD, tags=["prose"], max_rows=10) == []
    )

    # :exec, :execrows, :execresult
    await authors.update_author_bio(conn, bio="poet", id=ann.id)
    assert (await authors.get_author(conn, id=ann.id) or ann).bio == "poet"
    assert await authors.make_everyone_sad(conn) == "UPDATE 2"
    assert await authors.count_authors(conn) == 2

    # jsonb operators come back decoded too.
    meta = await authors.author_meta(conn, id=ann.id)
    assert meta == authors.AuthorMetaRow.make(
        {"city": "Oslo", "langs": ["no", "en"], "n": 1.5}, "Oslo", "Oslo"
    )
    assert await authors.moods_in_use(conn, except_=[models.Mood.HAPPY]) == [models.Mood.SAD]
    assert await authors.moods_in_use(conn, except_=list(models.Mood)) is None

    # :batchone: one row per parameter set, or BatchMismatchError.
    batch = await authors.get_authors_batch(
        conn, params=[authors.GetAuthorsBatchParams(bob.id), authors.GetAuthorsBatchParams(ann.id)]
    )
    assert [a.name for a in batch] == ["Bob", "Ann"]
    with pytest.raises(runtime.BatchMismatchError, match="1 rows for 2 parameter sets"):
        await authors.get_authors_batch(
            conn, params=[authors.GetAuthorsBatchParams(ann.id), authors.GetAuthorsBatchParams(-1)]
        )

    # :copyfrom
    copied = await books.copy_books(
        conn,
        rows=[
            books.CopyBooksParams(ann.id, "Alpha", decimal.Decimal("9.50"), "111", [5, 4]),
            books.CopyBooksParams(ann.id, "Beta", None, None, None),
            books.CopyBooksParams(bob.id, "Gamma", decimal.Decimal("1"), "222", []),
        ],
    )
    assert copied == 3

    # :batchexec and :batchmany
    await books.create_books(
        conn,
        params=[
            books.CreateBooksParams(bob.id, "Delta", decimal.Decimal("2.25")),
            books.CreateBooksParams(bob.id, "Epsilon", None),
        ],
    )
    by_author = await books.books_by_author(
        conn, params=[books.BooksByAuthorParams(ann.id), books.BooksByAuthorParams(bob.id)]
    )
    assert [b.title for b in by_author] == ["Alpha", "Beta", "Delta", "Epsilon", "Gamma"]
    alpha = by_author[0]
    assert isinstance(alpha, models.Book)
    assert (alpha.price, alpha.isbn, alpha.ratings) == (decimal.Decimal("9.50"), "111", [5, 4])

    # sqlc.embed: nested models.
    pairs = await books.books_with_authors(conn)
    assert [(p.b.title, p.a.name) for p in pairs] == [
        ("Alpha", "Ann"),
        ("Beta", "Ann"),
        ("Delta", "Bob"),
        ("Epsilon", "Bob"),
        ("Gamma", "Bob"),
    ]
    assert isinstance(pairs[0].b, models.Book) and isinstance(pairs[0].a, models.Author)
    assert pairs[0].b == alpha and pairs[0].a.mood is models.Mood.SAD

    named = await books.books_with_author_name(conn, since=datetime.date(2000, 1, 1))
    assert named[0] == books.BooksWithAuthorNameRow.make("Alpha", "Ann", decimal.Decimal("9.50"))

    upserted = await books.upsert_book_price(
        conn, author_id=ann.id, title="Alpha again", isbn="111", price=decimal.Decimal("7")
    )
    assert upserted is not None and upserted.id == alpha.id
    assert upserted.price == decimal.Decimal("7.00")

    # A view's model.
    stats = await authors.author_stats(conn)
    assert [(s.name, s.books) for s in stats] == [("Ann", 2), ("Bob", 3)]
    assert isinstance(stats[0], models.AuthorStat)

    # :execrows counts; deleting cascades to books.
    assert await authors.delete_author(conn, id=bob.id) == 1
    assert await authors.delete_author(conn, id=bob.id) == 0
    assert await books.books_by_author(conn, params=[books.BooksByAuthorParams(bob.id)]) == []


async def test_runtime_pool_and_transactions(empty_db: str) -> None:
    await asyncio.to_thread(migrate.apply, empty_db, GOLDEN / "schema")
    pool = await runtime.create_pool(empty_db, min_size=1, max_size=2)
    try:
        # The pool itself is an Executor; init_connection ran on its connections.
        made = await authors.create_author(
            pool, name="P", bio=None, mood=models.Mood.OK, tags=["t"], meta=[1, "two", None]
        )
        assert made is not None and made.meta == [1, "two", None]
        async with pool.acquire() as c:
            async with c.transaction():
                await authors.update_author_bio(c, bio="inside", id=made.id)
                got = await authors.get_author(c, id=made.id)
                assert got is not None and got.bio == "inside" and got.mood is models.Mood.OK
            with pytest.raises(asyncpg.UniqueViolationError):
                async with c.transaction():
                    await books.create_books(
                        c, params=[books.CreateBooksParams(made.id, "x", None)]
                    )
                    await books.copy_books(
                        c,
                        rows=[
                            books.CopyBooksParams(made.id, "a", None, "dup", None),
                            books.CopyBooksParams(made.id, "b", None, "dup", None),
                        ],
                    )
        # The failed transaction left nothing behind.
        assert await books.books_by_author(pool, params=[books.BooksByAuthorParams(made.id)]) == []
    finally:
        await pool.close()


async def test_without_init_connection_json_is_text(empty_db: str) -> None:
    """What init_connection is for: plain asyncpg returns jsonb as text and enums as str."""
    await asyncio.to_thread(migrate.apply, empty_db, GOLDEN / "schema")
    plain = await asyncpg.connect(empty_db)
    try:
        await plain.execute(
            "INSERT INTO authors (name, mood, meta) VALUES ('x', 'ok', '{\"a\": 1}')"
        )
        row = await plain.fetchrow("SELECT meta, mood FROM authors")
        assert row is not None
        assert row["meta"] == '{"a": 1}'
        assert type(row["mood"]) is str
        await runtime.init_connection(plain)
        row = await plain.fetchrow("SELECT meta, mood FROM authors")
        assert row is not None
        assert row["meta"] == {"a": 1}
        assert row["mood"] is models.Mood.OK
    finally:
        await plain.close()


async def test_runtime_awkward_names(conn: asyncpg.Connection[asyncpg.Record]) -> None:
    """Columns and parameters named like Python keywords, tuple methods or the locals of
    the generated functions; enum values that map to the same identifier."""
    assert [(m.name, m.value) for m in models.Label] == [
        ("IN_PROGRESS", "in progress"),
        ("IN_PROGRESS_2", "in-progress"),
        ("V_1ST", "1st"),
        ("EMPTY", ""),
    ]
    odd = await odd_names.insert_odd(
        conn,
        label=models.Label.IN_PROGRESS_2,
        row=1,
        rows=2,
        value="v",
        status="s",
        count=3,
        class_="c",
    )
    assert odd == models.OddName.make(
        odd.id if odd else 0, models.Label.IN_PROGRESS_2, 1, 2, "v", "s", 3, "c"
    )
    assert odd is not None and odd.label is models.Label.IN_PROGRESS_2
    assert (odd.count_, odd.class_) == (3, "c")
    assert await odd_names.get_odd_by_row(conn, row=1) == odd
    assert await odd_names.odd_by_rows(conn, rows=2) == [odd]
    assert await odd_names.touch_odd(conn, value="w", status="s") == 1
    assert await odd_names.odd_value(conn, value="w") == "w"
    assert await odd_names.odd_value(conn, value="nope") is None
    assert await odd_names.class_(conn) == ["c"]
    assert await odd_names.list_(conn) == 1


async def test_runtime_copy_with_enum_array_and_jsonb_columns(
    conn: asyncpg.Connection[asyncpg.Record],
) -> None:
    """COPY encodes every column in binary: the runtime's codecs must have a binary form."""
    copied = await authors.copy_authors(
        conn,
        rows=[
            authors.CopyAuthorsParams("C1", models.Mood.OK, ["a", "b"], {"deep": [1, {"x": None}]}),
            authors.CopyAuthorsParams("C2", models.Mood.SAD, [], None),
            authors.CopyAuthorsParams("C3", models.Mood.HAPPY, [], "just a string"),
        ],
    )
    assert copied == 3
    got = [
        (a.name, a.mood, a.tags, a.meta)
        for a in await authors.list_authors_by_mood(conn, mood=models.Mood.OK)
    ]
    assert got == [("C1", models.Mood.OK, ["a", "b"], {"deep": [1, {"x": None}]})]
    c3 = await authors.search_authors(conn, mood=models.Mood.HAPPY, tags=[], max_rows=5)
    assert c3 == []  # && with an empty array matches nothing
    assert await authors.count_authors(conn) == 3


async def test_project_copyfrom_into_a_table_with_jsonb(migrated_db: str) -> None:
    """chatdb.db's own :copyfrom (chat_messages has a jsonb column) on a runtime connection."""
    conn = await chatdb_runtime.connect(migrated_db)
    try:
        account = await accounts.insert_account(conn, name="acme")
        assert account is not None
        user = await accounts.insert_user(
            conn, account_id=account.id, email="u@example.com", display_name=None
        )
        agent = await accounts.insert_agent(conn, account_id=account.id, name="bot")
        assert user is not None and agent is not None
        chat = await chats.insert_chat(
            conn,
            account_id=account.id,
            user_id=user.id,
            agent_id=agent.id,
            title="t",
            model_config_id=None,
        )
        assert chat is not None
        rows = [
            chat_messages.CopyChatMessagesParams(
                chat.account_id,
                chat.id,
                uuid.uuid4(),
                "assistant",
                f"m{i}",
                "QUERY",
                [{"try": i}],
                None,
                None,
                None,
                None,
            )
            for i in range(3)
        ]
        assert await chat_messages.copy_chat_messages(conn, rows=rows) == 3
        listed = await chat_messages.list_chat_messages(
            conn, account_id=chat.account_id, chat_id=chat.id, after_id=0, page_size=10
        )
        assert [(m.content, m.dax_attempts) for m in listed] == [
            ("m0", [{"try": 0}]),
            ("m1", [{"try": 1}]),
            ("m2", [{"try": 2}]),
        ]
    finally:
        await conn.close()
