"""`explain`: generated data that satisfies the schema, plans custom and generic, and the
findings the issue names (ListChatMessages, ListChatsByUser), judged by PostgreSQL."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import asyncpg
import pytest

from codegen import config as cfg
from codegen import pipeline
from codegen.dba import datagen
from tests.conftest import ROOT, fixture_migration, migration_ids, run_codegen
from tests.test_verify import make_project

# Small enough for the suite, large enough that index choice matters.
ROWS = [
    "chats=8000",
    "chat_messages=12000",
    "chat_model_configs=100",
    "users=100",
    "chat_message_embeddings=500",  # vector(384) rows: the search is not what is judged here
]
LARGE = "3000"


def _queries() -> dict[str, tuple[str, int]]:
    result = pipeline.compile_project(cfg.load(ROOT / "pyproject.toml"))
    return {
        a.query.name: (a.query.source.path, a.query.line)
        for an in result.files.values()
        for a in an
    }


def _findings(stdout: str) -> list[tuple[str, str, str]]:
    """(file:line, query, plan mode) of every finding printed."""
    pattern = re.compile(r"^(\S+:\d+):\d+: error: (\w+): \[(custom|generic) plan\]", re.M)
    return pattern.findall(stdout)


async def _scratch_left(admin_dsn: str) -> list[str]:
    conn = await asyncpg.connect(admin_dsn)
    try:
        rows = await conn.fetch(
            "SELECT datname FROM pg_database WHERE datname LIKE 'codegen_scratch_%'"
        )
        return [r["datname"] for r in rows]
    finally:
        await conn.close()


def _creates(migration: Path, index: str) -> bool:
    """The migration has a CREATE statement naming `index` (not just a mention of it in
    a later migration's `-- depends:` line)."""
    return any(
        line.startswith("CREATE") and index in line for line in migration.read_text().splitlines()
    )


def _schema_without(tmp_path: Path, index: str) -> Path:
    """A copy of the project (schema, queries, pyproject) whose migrations never create
    `index`: the migration creating it is left out, the chain re-linked around it."""
    project = tmp_path / "project"
    for part in ("schema", "queries", "pyproject.toml"):
        src = ROOT / part
        (shutil.copytree if src.is_dir() else shutil.copy)(src, project / part)
    ids = migration_ids(project / "schema")
    (creates,) = [m for m in ids if _creates(project / "schema" / f"{m}.sql", index)]
    pos = ids.index(creates)
    for suffix in (".sql", ".rollback.sql"):
        (project / "schema" / f"{creates}{suffix}").unlink()
    if pos + 1 < len(ids):
        nxt = project / "schema" / f"{ids[pos + 1]}.sql"
        nxt.write_text(
            nxt.read_text().replace(f"-- depends: {creates}", f"-- depends: {ids[pos - 1]}")
        )
    return project


async def test_explain_finds_the_paging_problems_on_the_old_schema_and_not_on_the_project(
    admin_dsn: str, tmp_path: Path
) -> None:
    """Without the paging index (account_id, chat_id, id) ListChatMessages reads past
    other chats' messages once its plan is generic; with the project's migrations it does
    not, the rewritten ListChatsByUser pages by index in both plans, and the chat locks of
    the send path look chats up by primary key. Judged by PostgreSQL."""
    args = ["explain", "--dsn", admin_dsn, "--large", LARGE, "--rows", *ROWS]
    # 0011 builds the index (and adds the column the queries need): a last migration drops it
    old = _schema_without(tmp_path, "chat_messages_chat_id_id_idx")
    fixture_migration(
        old / "schema", "no_paging_index", "DROP INDEX chat_messages_account_id_chat_id_id_idx;\n"
    )
    before = run_codegen(*args, cwd=old)
    assert before.returncode == 1, before.stdout + before.stderr
    assert "Traceback" not in before.stderr
    messages = _queries()["ListChatMessages"]
    assert (f"{messages[0]}:{messages[1]}", "ListChatMessages", "generic") in _findings(
        before.stdout
    )

    now = run_codegen(*args, cwd=ROOT)
    assert "Traceback" not in now.stderr and "explain:" in now.stdout, now.stdout + now.stderr
    found = {(q, m) for _, q, m in _findings(now.stdout)}
    assert ("ListChatMessages", "generic") not in found
    assert not {("ListChatsByUser", "generic"), ("ListChatsByUser", "custom")} & found
    # the send path's chat locks stay primary key lookups once their plans are generic
    locks = ("UpsertChatForSender", "GetChatForSenderForUpdate", "GetChatForAgentForUpdate")
    assert not {(q, "generic") for q in locks} & found
    assert await _scratch_left(admin_dsn) == []


SCHEMA = """\
CREATE TYPE mood AS ENUM ('happy', 'sad');
CREATE TABLE parents (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code text NOT NULL UNIQUE CHECK (code <> ''),
    kind text NOT NULL CHECK (kind IN ('a', 'b', 'c')),
    mood mood NOT NULL,
    score int NOT NULL CHECK (score BETWEEN 1 AND 100),
    at timestamptz NOT NULL DEFAULT now(),
    note text
);
CREATE TABLE children (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    parent_code text NOT NULL REFERENCES parents (code),
    other_id uuid REFERENCES parents (id),
    body jsonb NOT NULL
);
CREATE TABLE links (
    child_id bigint NOT NULL REFERENCES children (id),
    parent_id uuid NOT NULL REFERENCES parents (id),
    PRIMARY KEY (child_id, parent_id)
);
"""


async def test_generated_rows_satisfy_every_constraint_at_the_requested_sizes(
    empty_db: str, tmp_path: Path
) -> None:
    from codegen import migrate

    make_project(tmp_path, schema=SCHEMA)
    migrate.apply(empty_db, tmp_path / "schema")
    conn = await asyncpg.connect(empty_db)
    try:
        tables = await datagen.read_tables(conn)
        assert datagen.fk_order(tables).index("parents") < datagen.fk_order(tables).index(
            "children"
        )
        defaults = datagen.default_rows(tables)  # x10 per NOT NULL foreign key level
        assert defaults["parents"] < defaults["children"] < defaults["links"]
        sizes = {"parents": 50, "children": 400, "links": 300}
        await datagen.fill(conn, tables, sizes)  # PostgreSQL checks every constraint
        for table, n in sizes.items():
            assert await conn.fetchval(f"SELECT count(*) FROM {table}") == n
        busiest = await conn.fetchval(
            "SELECT count(*) FROM children GROUP BY parent_code ORDER BY 1 DESC LIMIT 1"
        )
        assert busiest >= sizes["children"] // 2  # the skew: one busy parent
        kinds = await conn.fetchval("SELECT count(DISTINCT kind) FROM parents")
        assert kinds == 3  # every value a CHECK ... IN allows
        # identity columns continue after the generated rows
        new_id = await conn.fetchval(
            "INSERT INTO children (parent_code, body)"
            " SELECT code, '{}' FROM parents LIMIT 1 RETURNING id"
        )
        assert new_id == sizes["children"] + 1
    finally:
        await conn.close()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--rows", "chatz=10"], "--rows chatz=10: no table 'chatz' in the schema"),
        (["--rows", "chats=ten"], "--rows chats=ten: expected table=N"),
    ],
)
async def test_bad_rows_are_an_error_before_any_database_work(
    admin_dsn: str, extra: list[str], message: str
) -> None:
    proc = run_codegen("explain", "--dsn", admin_dsn, *extra, cwd=ROOT)
    assert proc.returncode == 1
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert await _scratch_left(admin_dsn) == []


async def test_what_if_sql_errors_point_at_file_line_col(admin_dsn: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.sql"
    bad.write_text("-- try this\nCREATE INDEX ON chat_messages (chat_idd, id);\n")
    proc = run_codegen("explain", "--dsn", admin_dsn, "--what-if", str(bad), cwd=ROOT)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert re.search(
        rf"{re.escape(str(bad))}:2:\d+: error: --what-if: column \"chat_idd\"", proc.stderr
    )
    assert await _scratch_left(admin_dsn) == []


def test_what_if_syntax_errors_point_at_file_line_col(admin_dsn: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.sql"
    bad.write_text("CREATE INDEX ON chat_messages (chat_id, id);\nCREATE INDX oops;\n")
    proc = run_codegen("explain", "--dsn", admin_dsn, "--what-if", str(bad), cwd=ROOT)
    assert proc.returncode == 1
    assert f"{bad}:2:8: error: --what-if: syntax error" in proc.stderr


def test_parameters_bind_to_the_columns_they_are_compared_with_or_stored_in() -> None:
    from codegen import analyze, catalog, parse
    from codegen.dba.explain import Binding, bindings

    cat = catalog.build([("schema/0001.sql", SCHEMA)], analyze.view_columns)

    def bound(sql: str) -> dict[int, Binding]:
        (query,) = parse.parse_file("queries/q.sql", f"-- name: Q :exec\n{sql};\n")
        return bindings(analyze.analyze(query, cat))

    assert bound(
        "SELECT * FROM children WHERE parent_code = $1"
        " AND (id, other_id) > (COALESCE($2, 0), $3::uuid) AND other_id = ANY($4) LIMIT $5"
    ) == {
        1: Binding("children", "parent_code", "="),
        2: Binding("children", "id", ">"),
        3: Binding("children", "other_id", ">"),
        4: Binding("children", "other_id", "="),
    }
    assert bound("SELECT 1 FROM parents WHERE $1 < score") == {1: Binding("parents", "score", ">")}
    assert bound("INSERT INTO parents (code, kind) VALUES ($1, $2)") == {
        1: Binding("parents", "code", "insert"),
        2: Binding("parents", "kind", "insert"),
    }
    assert bound("UPDATE parents SET note = $1 WHERE code = $2") == {
        1: Binding("parents", "note", "set"),
        2: Binding("parents", "code", "="),
    }


LINE_ITEMS = """\
CREATE TABLE orders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    placed_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE products (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    sku text NOT NULL UNIQUE
);
CREATE TABLE order_items (
    order_id bigint NOT NULL REFERENCES orders (id),
    product_id uuid NOT NULL REFERENCES products (id),
    quantity int NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (order_id, product_id)
);
CREATE UNIQUE INDEX products_one_featured ON products ((true)) WHERE sku = 'featured';
CREATE TABLE tags (id int PRIMARY KEY, name text NOT NULL UNIQUE);
CREATE TABLE product_tags (
    product_id uuid NOT NULL REFERENCES products (id),
    tag_id int NOT NULL REFERENCES tags (id)
);
CREATE UNIQUE INDEX product_tags_tag_product ON product_tags (tag_id, product_id);
CREATE TABLE passports (
    order_id bigint NOT NULL UNIQUE REFERENCES orders (id),
    note text
);
"""


async def _line_item_tables(db: str, tmp_path: Path) -> dict[str, datagen._Table]:
    from codegen import migrate

    make_project(tmp_path, schema=LINE_ITEMS, queries="")
    migrate.apply(db, tmp_path / "schema")
    conn = await asyncpg.connect(db)
    try:
        return await datagen.read_tables(conn)
    finally:
        await conn.close()


async def _fill_and_count(
    db: str, tables: dict[str, datagen._Table], sizes: dict[str, int]
) -> None:
    """Fill the tables (PostgreSQL checks every key) and see each got its rows."""
    conn = await asyncpg.connect(db)
    try:
        await datagen.fill(conn, tables, sizes)
        for table, n in sizes.items():
            assert await conn.fetchval(f"SELECT count(*) FROM {table}") == n
    finally:
        await conn.close()


async def test_default_rows_fit_composite_and_many_to_many_keys(
    empty_db: str, tmp_path: Path
) -> None:
    """A line-item table keyed by two foreign keys, and a many-to-many table under a
    unique index, get distinct key tuples at the default sizes (PostgreSQL checks)."""
    tables = await _line_item_tables(empty_db, tmp_path)
    sizes = datagen.default_rows(tables)
    assert sizes["products"] == datagen.BASE_ROWS  # an expression index is no key to fit
    await _fill_and_count(empty_db, tables, sizes)
    assert datagen.fit(tables, sizes) == (sizes, [])  # nothing to cap at the defaults


async def test_a_row_count_beyond_the_key_space_is_capped_and_said(
    empty_db: str, tmp_path: Path
) -> None:
    """10 orders x 20 products give 200 order items at most, 3 tags x 20 products 60
    product tags, and 10 orders 10 passports (one each): more is capped, with a note."""
    tables = await _line_item_tables(empty_db, tmp_path)
    asked = {"orders": 10, "products": 20, "tags": 3}
    asked |= {"order_items": 500, "product_tags": 100, "passports": 50}
    sizes, notes = datagen.fit(tables, asked)
    assert sizes == {**asked, "order_items": 200, "product_tags": 60, "passports": 10}
    assert len(notes) == 3
    assert any("order_items" in n and "500" in n and "200" in n for n in notes), notes
    await _fill_and_count(empty_db, tables, sizes)


def test_explain_says_when_it_caps_a_row_count(admin_dsn: str, tmp_path: Path) -> None:
    queries = "-- name: Orders :many\nSELECT id FROM orders;\n"
    make_project(tmp_path, schema=LINE_ITEMS, queries=queries)
    rows = ["orders=10", "products=20", "order_items=500"]
    proc = run_codegen("explain", "--dsn", admin_dsn, "--rows", *rows, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "order_items: 500 rows asked, 200 generated" in proc.stdout, proc.stdout
