"""The PostgreSQL major a project targets: per-major catalogs, each from a server of its
major, and what a newer major added refused under an older target, naming the major.

Every claim is judged by a real server of the major concerned (`tests/pgversions.py`).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import asyncpg
import pytest

from codegen import config as cfg
from codegen import pipeline, verify, versions
from codegen.data import dump_pg_catalog, dump_system_relations
from codegen.errors import CodegenErrors
from codegen.extensions import extension_file, extensions_dir
from tests import pgversions

SCHEMA = """
CREATE TABLE items (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    price numeric,
    data jsonb
);
"""

# What a newer major added, as a new user writes it: (the major that added it, the query).
STATEMENTS = {
    "any_value": (16, "-- name: AnyName :one\nSELECT any_value(name) FROM items;\n"),
    "json_table": (
        17,
        "-- name: Tags :many\nSELECT jt.* FROM items,\n"
        "  JSON_TABLE(data, '$.tags[*]' COLUMNS (tag text PATH '$')) AS jt;\n",
    ),
    "merge_returning": (
        17,
        "-- name: MergeDelete :many\nMERGE INTO items i USING (SELECT @id::uuid AS id) s\n"
        "  ON i.id = s.id\n  WHEN MATCHED THEN DELETE RETURNING merge_action(), i.id;\n",
    ),
    "returning_old_new": (
        18,
        "-- name: Reprice :one\nUPDATE items SET price = @price WHERE id = @id\n"
        "  RETURNING old.price AS old_price, new.price AS new_price;\n",
    ),
    "uuidv7": (18, "-- name: NewId :one\nSELECT uuidv7();\n"),
    "system_view": (
        17,
        "-- name: Checkpoints :one\nSELECT num_timed, num_requested FROM pg_stat_checkpointer;\n",
    ),
    "json_constructors": (
        16,
        "-- name: Doc :one\nSELECT JSON_OBJECT('name': name, 'tags': JSON_ARRAY(1, 2)),\n"
        "  JSON_ARRAYAGG(price ORDER BY price) FROM items GROUP BY name;\n",
    ),
    "is_json": (16, "-- name: Valid :many\nSELECT name IS JSON OBJECT AS ok FROM items;\n"),
    "json_query_functions": (
        17,
        "-- name: Fields :one\nSELECT JSON_VALUE(data, '$.n' RETURNING int) AS n,\n"
        "  JSON_QUERY(data, '$.tags'), JSON_EXISTS(data, '$.x'), JSON_SCALAR(price)\n"
        "FROM items WHERE id = @id;\n",
    ),
}


@pytest.mark.parametrize("major", versions.SUPPORTED)
def test_each_dump_names_its_server(major: int) -> None:
    """Every data file of a major was dumped from a server of that major."""
    folder = versions.data_dir(major)
    files = [folder / "pg_catalog.json", folder / "system_relations.json"]
    files += sorted(extensions_dir(major).glob("*.json"))
    for path in files:
        dumped = json.loads(path.read_text())["server_version"]
        assert dumped.split(".")[0] == str(major), (path, dumped)


@pytest.mark.parametrize("major", versions.SUPPORTED)
async def test_catalog_equals_live_server(major: int, admin_dsn: str) -> None:
    """The committed catalog of a major is what a live server of that major reports now:
    every type, function, operator and implicit cast, and every system relation and
    catalog primary key."""
    dsn = await pgversions.major_dsn(admin_dsn, major)
    live = await dump_pg_catalog.dump(dsn)
    stored = json.loads((versions.data_dir(major) / "pg_catalog.json").read_text())
    for key in ("types", "functions", "operators", "implicit_casts"):
        assert live[key] == stored[key], key
    _, relations = await dump_system_relations.dump(dsn)
    stored = json.loads((versions.data_dir(major) / "system_relations.json").read_text())
    for key in ("relations", "primary_keys"):
        assert relations[key] == stored[key], key


@pytest.mark.parametrize("major", versions.SUPPORTED)
async def test_extension_dumps_equal_live_server(major: int, admin_dsn: str) -> None:
    """Every extension dump of a major equals what the tests' server of that major installs
    now, for each extension that server ships (16's wheel ships none: its dumps come from
    another build of 16, see dump_extensions)."""
    from codegen.data import dump_extensions

    dsn = await pgversions.major_dsn(admin_dsn, major)
    _, live = await dump_extensions.dump(dsn)
    stored = {p.stem: json.loads(p.read_text()) for p in extensions_dir(major).glob("*.json")}
    for name, data in live.items():
        if name not in stored:  # another version than the dump read for this major is of:
            # 16's wheel has pgvector 0.6, a project targeting 16 is typed by 15's 0.8.6
            dumped = json.loads(extension_file(name, major).read_text())
            assert data["version"] != dumped.get("version"), name
            continue
        for key in ("types", "functions", "operators", "implicit_casts", "relations"):
            assert data[key] == stored[name][key], (name, key)


def project(tmp_path: Path, queries: str, major: int) -> cfg.Config:
    (tmp_path / "schema").mkdir(exist_ok=True)
    (tmp_path / "queries").mkdir(exist_ok=True)
    (tmp_path / "schema" / "0001_items.sql").write_text(SCHEMA)
    (tmp_path / "queries" / "items.sql").write_text(queries)
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.codegen]\nschema = "schema"\nqueries = "queries"\npackage = "db"\n'
        f'postgresql = "{major}"\n'
    )
    return cfg.load(tmp_path / "pyproject.toml")


@pytest.mark.parametrize("name", list(STATEMENTS))
async def test_generates_on_its_major_as_its_server_prepares(
    name: str, tmp_path: Path, admin_dsn: str
) -> None:
    major, sql = STATEMENTS[name]
    config = project(tmp_path, sql, major)
    result = pipeline.compile_project(config)
    assert pipeline.render_project(config, result)
    dsn = await pgversions.major_dsn(admin_dsn, major)
    outcome = await verify.verify(config, result, dsn, scratch_prefix="versions_")
    assert outcome.ok, [e.render() for e in outcome.rejected] + [m.what for m in outcome.mismatches]


@pytest.mark.parametrize("name", list(STATEMENTS))
async def test_refused_under_older_target_naming_the_major(
    name: str, tmp_path: Path, admin_dsn: str
) -> None:
    """Under the major before the one that added it: refused at file:line:col, naming the
    major it needs; and that major's server refuses it too."""
    major, sql = STATEMENTS[name]
    config = project(tmp_path, sql, major - 1)
    with pytest.raises(CodegenErrors) as caught:
        pipeline.compile_project(config)
    err = caught.value.errors[0]
    assert f"needs PostgreSQL {major}; the project targets {major - 1}" in err.message
    assert err.location is not None and err.location[0] == "queries/items.sql"
    older = replace(config, postgresql=major)  # typed by the newer catalog ...
    result = pipeline.compile_project(older)
    dsn = await pgversions.major_dsn(admin_dsn, major - 1)
    outcome = await verify.verify(older, result, dsn, scratch_prefix="versions_")
    assert outcome.rejected  # ... and the older server rejects it
    assert f"the server is PostgreSQL {major - 1}, the project targets {major}" in outcome.note


def test_target_is_configured_and_checked(tmp_path: Path) -> None:
    """`postgresql` in [tool.codegen] and sqlc.yaml's `codegen:`; the default is the
    newest supported; anything else is an error listing the supported majors."""
    config = project(tmp_path, "", 16)
    assert config.postgresql == 16
    text = (tmp_path / "pyproject.toml").read_text()
    (tmp_path / "pyproject.toml").write_text(text.replace('postgresql = "16"\n', ""))
    assert cfg.load(tmp_path / "pyproject.toml").postgresql == versions.NEWEST
    (tmp_path / "pyproject.toml").write_text(text.replace('"16"', '"14"'))
    with pytest.raises(Exception, match='one of "15", "16", "17", "18" expected'):
        cfg.load(tmp_path / "pyproject.toml")
    (tmp_path / "pyproject.toml").unlink()
    (tmp_path / "sqlc.yaml").write_text(
        "version: '2'\nsql:\n  - engine: postgresql\n    schema: schema\n    queries: queries\n"
        "codegen:\n  postgresql: '17'\n"
    )
    assert cfg.load(tmp_path / "pyproject.toml").postgresql == 17


TEMPORAL = """
CREATE EXTENSION btree_gist;
CREATE TABLE rooms (id int NOT NULL, valid tstzrange NOT NULL, name text,
    name_upper text GENERATED ALWAYS AS (upper(name)) VIRTUAL,
    label text GENERATED ALWAYS AS (name || '!'),
    PRIMARY KEY (id, valid WITHOUT OVERLAPS));
CREATE TABLE bookings (room_id int NOT NULL, during tstzrange NOT NULL,
    UNIQUE (room_id, during WITHOUT OVERLAPS),
    FOREIGN KEY (room_id, PERIOD during) REFERENCES rooms (id, PERIOD valid));
ALTER TABLE bookings ADD COLUMN nights int GENERATED ALWAYS AS (1) VIRTUAL;
"""


async def test_virtual_columns_and_temporal_keys_as_18_has_them(admin_dsn: str) -> None:
    """Replayed for 18, the columns (a virtual one is generated: never written) and keys
    equal what a PostgreSQL 18 server makes of the same DDL."""
    from codegen import dbutil
    from tests.test_catalog_vs_postgresql import (
        _KEYS,
        applied,
        catalog_keys,
        catalog_shape,
        live_shape,
        replayed,
    )

    cat = replayed(TEMPORAL)
    assert cat.version == 18
    assert cat.tables["rooms"].column("name_upper").generated == "expression"  # type: ignore[union-attr]
    dsn = await pgversions.major_dsn(admin_dsn, 18)
    async with dbutil.scratch_database(dsn, prefix="versions_") as db:
        assert catalog_shape(cat) == await live_shape(db, TEMPORAL)
    async with dbutil.scratch_database(dsn, prefix="versions_") as db:
        rows = await applied(db, TEMPORAL, _KEYS)
        assert catalog_keys(cat) == {
            (r["rel"], r["kind"], tuple(r["cols"]), r["ref"]) for r in rows
        }


@pytest.mark.parametrize(
    ("ddl", "what"),
    [
        ("up text GENERATED ALWAYS AS (upper(name)) VIRTUAL", "a virtual generated column"),
        ("up text GENERATED ALWAYS AS (upper(name))", "a virtual generated column"),
        ("PRIMARY KEY (id, valid WITHOUT OVERLAPS)", "WITHOUT OVERLAPS"),
    ],
)
async def test_18_ddl_refused_under_17(ddl: str, what: str, admin_dsn: str) -> None:
    """Under 17 the migration is refused at its line, naming 18; a 17 server refuses it."""
    from codegen import catalog, dbutil
    from codegen.errors import CodegenError

    sql = f"CREATE TABLE t (id int, valid tstzrange, name text, {ddl});"
    with pytest.raises(CodegenError) as caught:
        catalog.build([("schema/0001_t.sql", sql)], version=17)
    assert caught.value.message == f"{what} needs PostgreSQL 18; the project targets 17"
    dsn = await pgversions.major_dsn(admin_dsn, 17)
    async with dbutil.scratch_database(dsn, prefix="versions_") as db:
        conn = await asyncpg.connect(db)
        try:
            with pytest.raises(asyncpg.PostgresError):
                await conn.execute("CREATE EXTENSION btree_gist;" + sql)
        finally:
            await conn.close()


async def test_set_expression_needs_17(admin_dsn: str) -> None:
    """ALTER COLUMN ... SET EXPRESSION replays under 17 and is refused under 16 naming 17,
    as a 16 server refuses it."""
    from codegen import catalog, dbutil
    from codegen.errors import CodegenError

    sql = (
        "CREATE TABLE t (a int, b int GENERATED ALWAYS AS (a * 2) STORED);\n"
        "ALTER TABLE t ALTER COLUMN b SET EXPRESSION AS (a * 3);"
    )
    column = catalog.build([("schema/0001_t.sql", sql)], version=17).tables["t"].column("b")
    assert column is not None and column.generated == "expression"
    with pytest.raises(CodegenError) as caught:
        catalog.build([("schema/0001_t.sql", sql)], version=16)
    assert caught.value.message == (
        "ALTER COLUMN ... SET EXPRESSION needs PostgreSQL 17; the project targets 16"
    )
    assert caught.value.location == ("schema/0001_t.sql", 2, 13)
    for major, accepted in ((16, False), (17, True)):
        dsn = await pgversions.major_dsn(admin_dsn, major)
        async with dbutil.scratch_database(dsn, prefix="versions_") as db:
            conn = await asyncpg.connect(db)
            try:
                try:
                    await conn.execute(sql)
                    took = True
                except asyncpg.PostgresError:
                    took = False
                assert took == accepted, major
            finally:
                await conn.close()
