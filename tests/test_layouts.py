"""sqlc project layouts and schemas end to end: `generate` on an sqlc.yaml project writes
Python from the same SQL (renames and Python overrides applied); models of tables in other
schemas never share a name silently."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import run_codegen
from tests.test_conformance import CASES


def test_generate_reads_sqlc_yaml_renames_and_overrides(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    shutil.copytree(CASES / "layout_sqlc_overrides", project)
    run = run_codegen("generate", cwd=project)
    assert run.returncode == 0, run.stderr
    models = (project / "db" / "models.py").read_text()
    # gen.go.rename {authors: Writer}; the python_type override of authors.bio applies,
    # the go_type one is Go's and is ignored (text stays str)
    assert "class Writer(Row):" in models
    assert "def bio(self) -> str | None: ..." in models
    assert "def name(self) -> str: ..." in models
    assert (project / "db" / "query.py").exists()
    assert run_codegen("check", cwd=project).returncode == 0


def _two_item_tables(root: Path, rename: str = "") -> None:
    (root / "schema").mkdir(parents=True)
    (root / "queries").mkdir()
    (root / "schema" / "0001.sql").write_text(
        "CREATE SCHEMA app;\n"
        "CREATE TABLE app.items (id int PRIMARY KEY);\n"
        "CREATE TABLE app_items (id int PRIMARY KEY, x text);\n"
    )
    (root / "queries" / "q.sql").write_text(
        "-- name: A :many\nSELECT * FROM app.items;\n-- name: B :many\nSELECT * FROM app_items;\n"
    )
    (root / "pyproject.toml").write_text(
        '[tool.codegen]\nschema = "schema"\nqueries = "queries"\npackage = "db"\n' + rename
    )


def test_models_of_other_schemas_never_collide_silently(tmp_path: Path) -> None:
    _two_item_tables(tmp_path / "a")
    run = run_codegen("generate", cwd=tmp_path / "a")
    assert run.returncode == 1
    assert "two tables map to the model name AppItem" in run.stderr
    assert not (tmp_path / "a" / "db").exists()
    _two_item_tables(tmp_path / "b", '[tool.codegen.rename]\n"app.items" = "AppSchemaItem"\n')
    run = run_codegen("generate", cwd=tmp_path / "b")
    assert run.returncode == 0, run.stderr
    models = (tmp_path / "b" / "db" / "models.py").read_text()
    assert "class AppSchemaItem(Row):" in models
    assert "class AppItem(Row):" in models


def test_extension_types_map_to_python_and_are_overridable(tmp_path: Path) -> None:
    (tmp_path / "schema").mkdir()
    (tmp_path / "queries").mkdir()
    (tmp_path / "schema" / "0001.sql").write_text(
        "CREATE EXTENSION citext;\nCREATE EXTENSION hstore;\nCREATE EXTENSION ltree;\n"
        "CREATE TABLE docs (id int PRIMARY KEY, email citext NOT NULL, attrs hstore,"
        " path ltree NOT NULL);\n"
    )
    (tmp_path / "queries" / "q.sql").write_text("-- name: Docs :many\nSELECT * FROM docs;\n")
    config = '[tool.codegen]\nschema = "schema"\nqueries = "queries"\npackage = "db"\n'
    (tmp_path / "pyproject.toml").write_text(config)
    assert run_codegen("generate", cwd=tmp_path).returncode == 0
    models = (tmp_path / "db" / "models.py").read_text()
    assert "def email(self) -> str: ..." in models
    assert "def attrs(self) -> dict[str, str | None] | None: ..." in models
    assert "def path(self) -> str: ..." in models
    (tmp_path / "pyproject.toml").write_text(
        config + '[tool.codegen.overrides]\n"hstore" = "builtins:str"\n'
    )
    assert run_codegen("generate", cwd=tmp_path).returncode == 0
    assert "def attrs(self) -> str | None: ..." in (tmp_path / "db" / "models.py").read_text()


async def test_hstore_columns_come_back_as_dicts(admin_dsn: str, tmp_path: Path) -> None:
    """The generated runtime installs asyncpg's hstore codec when the schema creates the
    extension, so a column annotated dict[str, str | None] is one at run time."""
    import importlib
    import sys

    from codegen import dbutil

    (tmp_path / "schema").mkdir()
    (tmp_path / "queries").mkdir()
    schema = "CREATE EXTENSION hstore;\nCREATE TABLE docs (id int PRIMARY KEY, attrs hstore);\n"
    (tmp_path / "schema" / "0001.sql").write_text(schema)
    (tmp_path / "queries" / "q.sql").write_text(
        "-- name: GetDoc :one\nSELECT * FROM docs WHERE id = @id;\n"
    )
    (tmp_path / "pyproject.toml").write_text(
        '[tool.codegen]\nschema = "schema"\nqueries = "queries"\npackage = "hstore_db"\n'
    )
    assert run_codegen("generate", cwd=tmp_path).returncode == 0
    sys.path.insert(0, str(tmp_path))
    try:
        runtime = importlib.import_module("hstore_db.runtime")
        q = importlib.import_module("hstore_db.q")
        async with dbutil.scratch_database(admin_dsn, prefix="t_") as dsn:
            await dbutil.admin_execute(dsn, schema + "INSERT INTO docs VALUES (1, 'a=>1, b=>NULL')")
            conn = await runtime.connect(dsn)
            try:
                doc = await q.get_doc(conn, id=1)
            finally:
                await conn.close()
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m.startswith("hstore_db")]:
            del sys.modules[name]
    assert doc is not None and doc.attrs == {"a": "1", "b": None}


def test_sqlc_version_1_reads_its_postgresql_package(tmp_path: Path) -> None:
    """Version 1 (`packages:`): engine postgresql by default, a mysql package skipped,
    `overrides` at the top and per package, `rename` at the top."""
    from codegen import config as cfg

    (tmp_path / "pg").mkdir()
    (tmp_path / "my.sql").write_text("")
    (tmp_path / "sqlc.json").write_text(
        '{"version": "1", "rename": {"authors": "Writer"},'
        ' "overrides": [{"db_type": "uuid", "python_type": "myapp.ids:Id"}],'
        ' "packages": ['
        '  {"name": "m", "path": "m", "engine": "mysql", "schema": "my.sql", "queries": "my.sql"},'
        '  {"name": "db", "path": "db", "schema": ["pg/a.sql", "pg/b.sql"], "queries": "pg",'
        '   "overrides": [{"column": "authors.bio", "python_type": "myapp.text:Bio"},'
        '                 {"db_type": "text", "go_type": "string"}]}'
        "]}"
    )
    config = cfg.load(tmp_path / "pyproject.toml")  # none there: the sqlc file is read
    assert config.schemas == (tmp_path / "pg/a.sql", tmp_path / "pg/b.sql")
    assert config.query_sources == (tmp_path / "pg",)
    assert config.rename == {"authors": "Writer"}
    assert config.overrides == {"uuid": "myapp.ids:Id", "authors.bio": "myapp.text:Bio"}
