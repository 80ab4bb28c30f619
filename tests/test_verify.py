"""`verify` (PostgreSQL judges every query and the static inference) and `vet` (lint)."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path
from typing import Any

import pytest

from codegen import cli, pipeline, verify
from codegen import config as cfg
from codegen.analyze import Analysis
from tests.conftest import ROOT, run_codegen

SCHEMA = """\
CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE TABLE authors (
    id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL,
    mood mood NOT NULL DEFAULT 'happy',
    tags text[] NOT NULL DEFAULT '{}'
);
CREATE TABLE books (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    author_id bigint NOT NULL REFERENCES authors (id) ON DELETE CASCADE,
    editor_id bigint REFERENCES authors (id),
    title     text NOT NULL,
    price     numeric
);
CREATE INDEX books_author_id_idx ON books (author_id);
"""

QUERIES = """\
-- name: GetAuthor :one
SELECT * FROM authors WHERE id = @id;

-- name: BooksOf :many
SELECT b.title, b.price, a.name AS author
FROM books b JOIN authors a ON a.id = b.author_id
WHERE a.id = ANY(@ids::bigint[]) AND b.price > @min_price
ORDER BY b.title
LIMIT @n;

-- name: CountByMood :many
SELECT mood, count(*) AS n FROM authors GROUP BY mood ORDER BY mood;
"""


def make_project(root: Path, schema: str = SCHEMA, queries: str = QUERIES, extra: str = "") -> Path:
    (root / "schema").mkdir(parents=True)
    (root / "queries").mkdir()
    (root / "pyproject.toml").write_text(
        f'[tool.codegen]\nschema = "schema"\nqueries = "queries"\npackage = "out/db"\n{extra}'
    )
    (root / "schema" / "0001_init.sql").write_text(schema)
    (root / "schema" / "0001_init.rollback.sql").write_text("DROP SCHEMA public CASCADE;\n")
    (root / "queries" / "q.sql").write_text(queries)
    return root / "pyproject.toml"


def compile_project(config: Path) -> tuple[cfg.Config, pipeline.Result]:
    loaded = cfg.load(config)
    return loaded, pipeline.compile_project(loaded)


def codegen(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_codegen(*args, cwd=cwd)


# -- verify ----------------------------------------------------------------------------


def test_verify_every_project_query_against_postgresql(admin_dsn: str) -> None:
    _, result = compile_project(ROOT / "pyproject.toml")
    count = sum(len(v) for v in result.files.values())
    assert count >= 40
    run = codegen("verify", "--dsn", admin_dsn, cwd=ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines() == [
        f"verified {count} queries against PostgreSQL: 0 rejected by PostgreSQL, 0 type mismatches"
    ]


async def test_verify_the_golden_project(admin_dsn: str) -> None:
    config, result = compile_project(ROOT / "tests" / "golden" / "pyproject.toml")
    assert sum(len(v) for v in result.files.values()) >= 25
    assert (await verify.verify(config, result, admin_dsn)).ok


async def test_verify_in_process_finds_nothing_on_a_good_project(
    admin_dsn: str, tmp_path: Path
) -> None:
    config, result = compile_project(make_project(tmp_path))
    outcome = await verify.verify(config, result, admin_dsn)
    assert outcome.ok and outcome.checked == 3, outcome


def tamper(result: pipeline.Result, name: str, **changes: Any) -> pipeline.Result:
    files = {
        path: [dataclasses.replace(a, **changes) if a.query.name == name else a for a in analyses]
        for path, analyses in result.files.items()
    }
    return pipeline.Result(result.catalog, files)


def find(result: pipeline.Result, name: str) -> Analysis:
    return next(a for v in result.files.values() for a in v if a.query.name == name)


async def test_verify_catches_wrong_inferences(admin_dsn: str, tmp_path: Path) -> None:
    config, result = compile_project(make_project(tmp_path))
    books_of = find(result, "BooksOf")
    wrong_param = dataclasses.replace(books_of.params[1], type="int4")
    wrong_col = dataclasses.replace(books_of.columns[1], type="float8")
    bad = tamper(
        result,
        "BooksOf",
        params=(books_of.params[0], wrong_param, books_of.params[2]),
        columns=(books_of.columns[0], wrong_col, books_of.columns[2]),
    )
    count_by = find(result, "CountByMood")
    bad = tamper(bad, "CountByMood", columns=count_by.columns[:1])
    get = find(result, "GetAuthor")
    bad = tamper(bad, "GetAuthor", params=())

    outcome = await verify.verify(config, bad, admin_dsn)
    assert [(m.where, m.what) for m in outcome.mismatches] == [
        ("queries/q.sql:1 GetAuthor", "1 parameters on the server, 0 inferred"),
        (
            "queries/q.sql:4 BooksOf",
            "parameter min_price: server says numeric, inferred int4",
        ),
        ("queries/q.sql:4 BooksOf", "column price: server says numeric, inferred float8"),
        ("queries/q.sql:11 CountByMood", "2 columns on the server, 1 inferred"),
    ]
    assert get.params[0].type == "int8"  # the untampered inference was right


async def test_verify_catches_array_ness_mismatches_of_columns_and_parameters(
    admin_dsn: str, tmp_path: Path
) -> None:
    """`int8` is not `int8[]`: element type right, array-ness wrong, in both directions."""
    config, result = compile_project(make_project(tmp_path))
    books_of, get = find(result, "BooksOf"), find(result, "GetAuthor")
    ids, tags = books_of.params[0], next(c for c in get.columns if c.name == "tags")
    assert (ids.type, tags.type, get.params[0].type) == ("_int8", "_text", "int8")
    bad = tamper(
        result,
        "BooksOf",
        params=(dataclasses.replace(ids, type="int8"), *books_of.params[1:]),
    )
    bad = tamper(
        bad,
        "GetAuthor",
        params=(dataclasses.replace(get.params[0], type="_int8"),),
        columns=tuple(dataclasses.replace(c, type="text") if c is tags else c for c in get.columns),
    )
    outcome = await verify.verify(config, bad, admin_dsn)
    assert [m.what for m in outcome.mismatches] == [
        "parameter id: server says int8, inferred _int8",
        "column tags: server says _text, inferred text",
        "parameter ids: server says _int8, inferred int8",
    ]


async def test_verify_catches_schema_changes_invisible_to_static_replay(
    admin_dsn: str, tmp_path: Path
) -> None:
    # Dynamic DDL in a DO block runs on the server but is opaque to the migration replay:
    # the catalog does not see the new column or the dropped table; the server does.
    schema = (
        SCHEMA
        + "CREATE TABLE gone (id int);\n"
        + "DO $$ BEGIN\n"
        + "    EXECUTE 'ALTER TABLE authors ADD COLUMN bio text';\n"
        + "    EXECUTE 'DROP TABLE gone';\n"
        + "END $$;\n"
    )
    queries = QUERIES + "\n-- name: Gone :many\nSELECT id FROM gone;\n"
    config, result = compile_project(make_project(tmp_path, schema, queries))
    outcome = await verify.verify(config, result, admin_dsn)
    assert [(m.where, m.what) for m in outcome.mismatches] == [
        ("queries/q.sql:1 GetAuthor", "5 columns on the server, 4 inferred"),
    ]
    assert [e.render().splitlines() for e in outcome.rejected] == [
        [
            'queries/q.sql:15:16: error: Gone: rejected by PostgreSQL: relation "gone" does '
            "not exist",
            "    SELECT id FROM gone;",
            "                   ^",
        ]
    ]


def test_verify_cli_reports_mismatches_and_exits_1(admin_dsn: str, tmp_path: Path) -> None:
    # `SELECT $1 UNION ALL SELECT ...` inside INSERT: PostgreSQL types set-operation
    # parameters as text before it sees the target column; the static inference does not.
    queries = (
        "-- name: AddTwo :exec\n"
        "INSERT INTO books (author_id, title) SELECT @a, @t UNION ALL SELECT @b, @u;\n"
    )
    config = make_project(tmp_path, queries=queries)
    run = codegen("verify", "--dsn", admin_dsn, "--config", str(config), cwd=tmp_path)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    error = run.stderr.splitlines()
    assert error[0].startswith("queries/q.sql:2:")
    assert "error: AddTwo: rejected by PostgreSQL: column " in error[0]
    assert error[1] == "    " + queries.splitlines()[1]
    assert error[2].strip() == "^"
    assert run.stdout.splitlines() == [
        "verified 1 queries against PostgreSQL: 1 rejected by PostgreSQL, 0 type mismatches"
    ]


# -- vet -------------------------------------------------------------------------------

VET_QUERIES = """\
-- name: RenameAll :exec
UPDATE authors SET name = @name;

-- name: DeleteAll :execrows
DELETE FROM books;

-- name: FirstFive :many
SELECT * FROM authors LIMIT 5;

-- name: FirstFiveOrdered :many
SELECT * FROM authors ORDER BY id LIMIT 5;

-- Deliberately every row.
-- vet: ignore no-where
-- name: RenameAllOk :exec
UPDATE authors SET name = @name;

-- name: AnyFive :many
-- vet: ignore limit-no-order
SELECT * FROM authors LIMIT 5;

-- name: DeleteOne :exec
DELETE FROM books WHERE id = @id;
"""


def vet(config: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = cli.main(["vet", "--config", str(config)])
    return code, capsys.readouterr().out.splitlines()


def test_vet_findings_and_query_silencing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = vet(make_project(tmp_path, queries=VET_QUERIES), capsys)
    assert code == 1
    headers = [line for line in out if ": error: " in line]
    assert headers == [
        "queries/q.sql:1:10: error: RenameAll: UPDATE without WHERE [no-where] "
        "(silence: -- vet: ignore no-where)",
        "queries/q.sql:4:10: error: DeleteAll: DELETE without WHERE [no-where] "
        "(silence: -- vet: ignore no-where)",
        "queries/q.sql:7:10: error: FirstFive: LIMIT without ORDER BY [limit-no-order] "
        "(silence: -- vet: ignore limit-no-order)",
        "schema/0001_init.sql:11:22: error: foreign key books(editor_id) -> authors has no "
        "index starting with its column(s) [fk-index] "
        '(silence: vet_ignore = ["fk-index:books.editor_id"])',
    ]
    # Each finding shows its line and a caret.
    fk_at = out.index(headers[-1])
    assert out[fk_at + 1] == "        editor_id bigint REFERENCES authors (id),"
    assert out[fk_at + 2] == "    " + " " * 21 + "^"
    assert out[-1] == "vet: 4 finding(s)"


def test_vet_ignore_in_config_silences_schema_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clean = (
        "-- name: DeleteOne :exec\nDELETE FROM books WHERE id = @id;\n"
        "-- name: FirstFive :many\nSELECT * FROM authors ORDER BY id LIMIT 5;\n"
    )
    config = make_project(tmp_path, queries=clean)
    code, out = vet(config, capsys)
    assert (code, out[-1]) == (1, "vet: 1 finding(s)")
    config.write_text(config.read_text() + 'vet_ignore = ["fk-index:books.editor_id"]\n')
    code, out = vet(config, capsys)
    assert (code, out) == (0, ["vet: 0 finding(s)"])


def test_vet_fk_covered_by_a_leading_index_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = SCHEMA + "CREATE INDEX books_editor_title ON books (editor_id, title);\n"
    config = make_project(tmp_path, schema=schema, queries="-- name: N :one\nSELECT 1 AS n;\n")
    assert vet(config, capsys) == (0, ["vet: 0 finding(s)"])


def test_vet_fk_not_covered_by_a_partial_or_non_leading_index(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = (
        SCHEMA
        + "CREATE INDEX books_title_editor ON books (title, editor_id);\n"
        + "CREATE INDEX books_editor_partial ON books (editor_id) WHERE price > 0;\n"
    )
    config = make_project(tmp_path, schema=schema, queries="-- name: N :one\nSELECT 1 AS n;\n")
    code, out = vet(config, capsys)
    assert code == 1
    assert "[fk-index]" in out[0] and "books(editor_id)" in out[0]


def test_vet_foreign_key_dropped_later_is_not_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ignore = 'vet_ignore = ["ban-drop-constraint:0002_drop_fk.sql"]\n'
    config = make_project(tmp_path, queries="-- name: N :one\nSELECT 1 AS n;\n", extra=ignore)
    (tmp_path / "schema" / "0002_drop_fk.sql").write_text(
        "-- depends: 0001_init\nALTER TABLE books DROP CONSTRAINT books_editor_id_fkey;\n"
    )
    (tmp_path / "schema" / "0002_drop_fk.rollback.sql").write_text("SELECT 1;\n")
    assert vet(config, capsys) == (0, ["vet: 0 finding(s)"])


def migration_lint_project(root: Path) -> Path:
    """A project whose only vet findings can come from the migrations added to it."""
    fk_ok = 'vet_ignore = ["fk-index:books.editor_id"]\n'
    return make_project(root, queries="-- name: N :one\nSELECT 1 AS n;\n", extra=fk_ok)


def test_vet_requires_each_migrations_rollback_and_depends_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = migration_lint_project(tmp_path)
    added = tmp_path / "schema" / "0002_more.sql"
    added.write_text("CREATE TABLE more (id bigint PRIMARY KEY);\n")
    code, out = vet(config, capsys)
    assert code == 1
    assert [line for line in out if ": error: " in line] == [
        "schema/0002_more.sql:1:1: error: migration has no rollback file 0002_more.rollback.sql "
        "[missing-rollback] (add 0002_more.rollback.sql)",
        "schema/0002_more.sql:1:1: error: migration has no `-- depends:` line "
        "[missing-depends] (add: -- depends: 0001_init)",
    ]
    added.write_text("-- depends: 0001_init\n" + added.read_text())
    added.with_name("0002_more.rollback.sql").write_text("DROP TABLE more;\n")
    assert vet(config, capsys) == (0, ["vet: 0 finding(s)"])


def test_vet_runs_squawk_on_migrations_with_per_file_ignores(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = migration_lint_project(tmp_path)
    blocking = tmp_path / "schema" / "0002_blocking.sql"
    blocking.write_text(
        "-- depends: 0001_init\n"
        "CREATE INDEX books_title_idx ON books (title);\n"
        "ALTER TABLE books ALTER COLUMN title SET NOT NULL;\n"
        "ALTER TABLE authors ALTER COLUMN name TYPE varchar(100);\n"
    )
    blocking.with_name("0002_blocking.rollback.sql").write_text("DROP INDEX books_title_idx;\n")
    code, out = vet(config, capsys)
    assert code == 1
    found = {line.split(" [")[1].split("]")[0]: line for line in out if ": error: " in line}
    assert found["require-concurrent-index-creation"].startswith(
        "schema/0002_blocking.sql:2:1: error: "
    )
    assert found["changing-column-type"].startswith("schema/0002_blocking.sql:4:")
    assert any(line.startswith("schema/0002_blocking.sql:3:") for line in found.values())
    # Each finding shows its line and a caret; one rule is silenced for one file.
    at = out.index(found["require-concurrent-index-creation"])
    assert out[at + 1 : at + 3] == ["    CREATE INDEX books_title_idx ON books (title);", "    ^"]
    rules = sorted(found)
    ignores = ", ".join(f'"{rule}:0002_blocking.sql"' for rule in rules)
    config.write_text(config.read_text().replace("vet_ignore = [", f"vet_ignore = [{ignores}, "))
    assert vet(config, capsys) == (0, ["vet: 0 finding(s)"])


def test_vet_the_project_is_clean() -> None:
    run = codegen("vet", cwd=ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines() == ["vet: 0 finding(s)"]


async def test_verify_catches_column_names_the_server_gives_otherwise(
    admin_dsn: str, tmp_path: Path
) -> None:
    """A result column's name becomes a Python field: the server's name it must be, equal
    (render makes it usable in Python, not analyze)."""
    config, result = compile_project(make_project(tmp_path))
    get = find(result, "GetAuthor")
    renamed = tuple(
        dataclasses.replace(c, name="tag_list") if c.name == "tags" else c for c in get.columns
    )
    bad = tamper(result, "GetAuthor", columns=renamed)
    outcome = await verify.verify(config, bad, admin_dsn)
    position = [c.name for c in get.columns].index("tags") + 1
    assert [m.what for m in outcome.mismatches] == [
        f"column {position}: server names it tags, not tag_list"
    ]
