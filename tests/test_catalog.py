"""Stage 2 (codegen.catalog): replaying migrations into tables, views, enums and indexes."""

from __future__ import annotations

from pathlib import Path

import pytest

from codegen import analyze, catalog
from codegen.catalog import Catalog, Column
from codegen.errors import CodegenError
from tests.conftest import ROOT


def build(*migrations: str) -> Catalog:
    files = [(f"schema/{i:04d}_m.sql", sql) for i, sql in enumerate(migrations, 1)]
    return catalog.build(files, analyze.view_columns)


def columns(cat: Catalog, table: str) -> list[tuple[str, str, bool, bool]]:
    return [(c.name, c.type, c.not_null, c.has_default) for c in cat.tables[table].columns]


# -- CREATE TABLE ----------------------------------------------------------------------


def test_create_table_types_nullability_and_defaults() -> None:
    cat = build(
        """
        CREATE TABLE t (
            id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            s           serial,
            bs          bigserial,
            name        text NOT NULL,
            note        varchar(20),
            explicit    integer NULL,
            score       double precision NOT NULL DEFAULT 0,
            created     timestamp with time zone NOT NULL DEFAULT now(),
            tags        text[] NOT NULL DEFAULT '{}',
            matrix      int[][],
            flag        boolean,
            amount      decimal(10, 2),
            data        jsonb,
            upper_name  text GENERATED ALWAYS AS (upper(name)) STORED
        );
        """
    )
    assert columns(cat, "t") == [
        ("id", "int8", True, True),
        ("s", "int4", True, True),
        ("bs", "int8", True, True),
        ("name", "text", True, False),
        ("note", "varchar", False, False),
        ("explicit", "int4", False, False),
        ("score", "float8", True, True),
        ("created", "timestamptz", True, True),
        ("tags", "_text", True, True),
        ("matrix", "_int4", False, False),
        ("flag", "bool", False, False),
        ("amount", "numeric", False, False),
        ("data", "jsonb", False, False),
        ("upper_name", "text", False, True),
    ]
    assert cat.tables["t"].primary_key == ("id",)


def test_primary_key_implies_not_null_column_and_table_constraint() -> None:
    cat = build(
        "CREATE TABLE a (id uuid PRIMARY KEY);",
        "CREATE TABLE b (x int, y int, z int, PRIMARY KEY (x, y), UNIQUE (z));",
    )
    assert columns(cat, "a") == [("id", "uuid", True, False)]
    assert [(c.name, c.not_null) for c in cat.tables["b"].columns] == [
        ("x", True),
        ("y", True),
        ("z", False),
    ]
    assert cat.tables["b"].primary_key == ("x", "y")
    assert cat.tables["b"].unique == (("z",),)


def test_qualified_names_and_if_not_exists() -> None:
    cat = build(
        "CREATE TABLE public.t (id int4 NOT NULL, n pg_catalog.int8);",
        "CREATE TABLE IF NOT EXISTS t (other int);",
    )
    assert columns(cat, "t") == [("id", "int4", True, False), ("n", "int8", False, False)]


# -- ALTER TABLE -----------------------------------------------------------------------


def test_alter_table_column_changes() -> None:
    cat = build(
        "CREATE TABLE t (id int PRIMARY KEY, a int, b text NOT NULL, c int, d text);",
        """
        ALTER TABLE t ADD COLUMN e text NOT NULL DEFAULT '';
        ALTER TABLE t ADD COLUMN IF NOT EXISTS e int;
        ALTER TABLE t DROP COLUMN c;
        ALTER TABLE t DROP COLUMN IF EXISTS no_such_column;
        ALTER TABLE t RENAME COLUMN d TO renamed;
        ALTER TABLE t ALTER COLUMN a SET NOT NULL;
        ALTER TABLE t ALTER COLUMN b DROP NOT NULL;
        ALTER TABLE t ALTER COLUMN a TYPE bigint USING a::bigint;
        ALTER TABLE t ALTER COLUMN renamed SET DATA TYPE numeric(8, 2);
        ALTER TABLE t ALTER COLUMN b SET DEFAULT 'x';
        """,
    )
    assert columns(cat, "t") == [
        ("id", "int4", True, False),
        ("a", "int8", True, False),
        ("b", "text", False, True),
        ("renamed", "numeric", False, False),
        ("e", "text", True, True),
    ]


def test_rename_and_drop_table() -> None:
    cat = build(
        "CREATE TABLE old (id int PRIMARY KEY); CREATE TABLE gone (id int);",
        "CREATE TABLE child (old_id int REFERENCES old);",
        "ALTER TABLE old RENAME TO new; DROP TABLE gone; DROP TABLE IF EXISTS never_was;",
    )
    assert sorted(cat.tables) == ["child", "new"]
    assert cat.tables["new"].name == "new"
    assert [fk.ref_table for fk in cat.tables["child"].foreign_keys] == ["new"]
    assert {i.table for i in cat.indexes} == {"new"}


def test_statements_that_do_not_change_shape_are_passed_over() -> None:
    cat = build(
        """
        CREATE TABLE t (id int);
        INSERT INTO t VALUES (1);
        UPDATE t SET id = 2;
        COMMENT ON TABLE t IS 'a table';
        GRANT SELECT ON t TO PUBLIC;
        CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';
        LOCK TABLE t IN SHARE MODE;
        """
    )
    assert columns(cat, "t") == [("id", "int4", False, False)]


# -- enums -----------------------------------------------------------------------------


def test_enums_create_add_value_rename_and_use() -> None:
    cat = build(
        "CREATE TYPE mood AS ENUM ('happy', 'sad');",
        """
        ALTER TYPE mood ADD VALUE 'ok' AFTER 'happy';
        ALTER TYPE mood ADD VALUE 'first' BEFORE 'happy';
        ALTER TYPE mood ADD VALUE 'last';
        ALTER TYPE mood ADD VALUE IF NOT EXISTS 'sad';
        ALTER TYPE mood RENAME VALUE 'last' TO 'final';
        CREATE TABLE t (m mood NOT NULL, ms public.mood[]);
        """,
    )
    assert cat.enums["mood"].values == ("first", "happy", "ok", "sad", "final")
    assert columns(cat, "t") == [("m", "mood", True, False), ("ms", "_mood", False, False)]


def test_drop_type_forgets_the_enum() -> None:
    cat = build("CREATE TYPE a AS ENUM ('x'); CREATE TYPE b AS ENUM ('y');", "DROP TYPE a;")
    assert list(cat.enums) == ["b"]


# -- views -----------------------------------------------------------------------------


def test_view_columns_come_from_its_query() -> None:
    cat = build(
        """
        CREATE TABLE a (id int PRIMARY KEY, name text NOT NULL);
        CREATE TABLE b (id int PRIMARY KEY, a_id int NOT NULL REFERENCES a, price numeric);
        CREATE VIEW v AS
            SELECT a.id, a.name, b.price, count(b.id) AS n, upper(a.name) AS shout
            FROM a LEFT JOIN b ON b.a_id = a.id
            GROUP BY a.id, a.name, b.price;
        CREATE VIEW renamed (x, y) AS SELECT id, name FROM a;
        """
    )
    view = cat.tables["v"]
    assert view.is_view
    assert columns(cat, "v") == [
        ("id", "int4", True, False),
        ("name", "text", True, False),
        ("price", "numeric", False, False),
        ("n", "int8", True, False),
        ("shout", "text", True, False),
    ]
    assert [c.name for c in cat.tables["renamed"].columns] == ["x", "y"]


def test_views_are_dropped_and_replaced() -> None:
    cat = build(
        "CREATE TABLE a (id int, n int); CREATE VIEW v AS SELECT id FROM a;",
        "CREATE OR REPLACE VIEW v AS SELECT id, n FROM a;",
        "CREATE VIEW w AS SELECT n FROM a; DROP VIEW w;",
    )
    assert [c.name for c in cat.tables["v"].columns] == ["id", "n"]
    assert "w" not in cat.tables


# -- indexes and foreign keys ----------------------------------------------------------


def test_indexes_with_default_names_expressions_and_predicates() -> None:
    cat = build(
        """
        CREATE TABLE t (id int PRIMARY KEY, a int UNIQUE, b int, c text);
        CREATE INDEX t_b_idx ON t (b, a);
        CREATE INDEX ON t (c);
        CREATE UNIQUE INDEX t_lower ON t (lower(c)) WHERE b > 0;
        """
    )
    assert [(i.name, i.columns, i.unique, i.partial) for i in cat.indexes] == [
        ("t_pkey", ("id",), True, False),
        ("t_a_key", ("a",), True, False),
        ("t_b_idx", ("b", "a"), False, False),
        ("t_c_idx", ("c",), False, False),
        ("t_lower", (None,), True, True),
    ]


def test_drop_index_and_indexes_of_dropped_columns_and_tables() -> None:
    cat = build(
        """
        CREATE TABLE t (id int PRIMARY KEY, a int, b int);
        CREATE INDEX t_a ON t (a);
        CREATE INDEX t_b ON t (b);
        CREATE TABLE u (id int);
        CREATE INDEX u_id ON u (id);
        """,
        "DROP INDEX t_a; ALTER TABLE t DROP COLUMN b; DROP TABLE u;",
    )
    assert [i.name for i in cat.indexes] == ["t_pkey"]


def test_foreign_keys_column_and_table_level() -> None:
    cat = build(
        """
        CREATE TABLE p (id int PRIMARY KEY, code text UNIQUE);
        CREATE TABLE c (
            id int PRIMARY KEY,
            p_id int REFERENCES p ON DELETE CASCADE,
            p_code text,
            parent int REFERENCES c (id) ON DELETE SET NULL,
            CONSTRAINT c_code_fk FOREIGN KEY (p_code) REFERENCES p (code)
        );
        """,
        "ALTER TABLE c ADD COLUMN extra int; "
        "ALTER TABLE c ADD CONSTRAINT c_extra_fk FOREIGN KEY (extra) REFERENCES p (id);",
    )
    fks = [
        (f.name, f.columns, f.ref_table, f.ref_columns, f.on_delete)
        for f in cat.tables["c"].foreign_keys
    ]
    assert fks == [
        ("c_p_id_fkey", ("p_id",), "p", ("id",), "c"),
        ("c_parent_fkey", ("parent",), "c", ("id",), "n"),
        ("c_code_fk", ("p_code",), "p", ("code",), "a"),
        ("c_extra_fk", ("extra",), "p", ("id",), "a"),
    ]
    fk = cat.tables["c"].foreign_keys[0]
    assert fk.path == "schema/0001_m.sql"


def test_drop_constraint_forgets_foreign_keys_and_unique_keys() -> None:
    cat = build(
        "CREATE TABLE p (id int PRIMARY KEY, code text UNIQUE);"
        "CREATE TABLE c (p_id int REFERENCES p, n int CHECK (n > 0));",
        "ALTER TABLE c DROP CONSTRAINT c_p_id_fkey;"
        "ALTER TABLE c DROP CONSTRAINT c_n_check;"
        "ALTER TABLE p DROP CONSTRAINT p_code_key;",
    )
    assert cat.tables["c"].foreign_keys == ()
    assert cat.tables["p"].unique == ()
    assert [i.name for i in cat.indexes] == ["p_pkey"]


# -- files -----------------------------------------------------------------------------


def test_migration_files_skip_rollbacks_and_sort_by_name(tmp_path: Path) -> None:
    for name in ("0002_b.sql", "0010_c.sql", "0001_a.sql", "0001_a.rollback.sql", "notes.txt"):
        (tmp_path / name).write_text("")
    assert [p.name for p in catalog.migration_files(tmp_path)] == [
        "0001_a.sql",
        "0002_b.sql",
        "0010_c.sql",
    ]


def test_files_are_replayed_in_the_order_given() -> None:
    first = ("schema/0001.sql", "CREATE TABLE t (a int);")
    second = ("schema/0002.sql", "ALTER TABLE t RENAME COLUMN a TO b;")
    cat = catalog.build([first, second])
    assert [c.name for c in cat.tables["t"].columns] == ["b"]
    assert cat.migrations == ("schema/0001.sql", "schema/0002.sql")
    with pytest.raises(CodegenError, match='relation "t" does not exist'):
        catalog.build([second, first])


@pytest.mark.parametrize(
    ("sql", "message", "at"),
    [
        ("CREATE TABLE t (id int,, x int);", "syntax error", ", x"),
        ("CREATE TABLE u (id int", "syntax error at end of input", "t\0"),
        ("CREATE TABLE u (x nosuchtype);", 'type "nosuchtype" does not exist', "nosuchtype"),
        ("ALTER TABLE nope ADD COLUMN x int;", 'relation "nope" does not exist', "nope"),
        ("CREATE INDEX i ON t (nope);", 'column "nope" named in index', "t ("),
        ("CREATE TABLE u (a int REFERENCES nope);", "referenced by a foreign key", "nope"),
        ("CREATE TABLE t (x int);", 'relation "t" already exists', "t ("),
        ("CREATE TABLE u (a int, a text);", 'column "a" specified more than once', "a text"),
        ("CREATE VIEW v AS SELECT nope FROM t;", 'column "nope" does not exist', "nope"),
        ("CREATE TABLE s.x (a int);", 'schema "s" does not exist', "s.x"),
    ],
)
def test_bad_migrations_name_the_spot(sql: str, message: str, at: str) -> None:
    base = ("schema/0001.sql", "CREATE TABLE t (id int);")
    with pytest.raises(CodegenError) as info:
        catalog.build([base, ("schema/0002.sql", sql)], analyze.view_columns)
    err = info.value
    assert message in err.message
    column = len(sql) + 1 if at.endswith("\0") else sql.index(at) + 1
    assert err.location == ("schema/0002.sql", 1, column)


# -- the project's own schema ----------------------------------------------------------

PROJECT_TABLES: dict[str, list[tuple[str, str, bool]]] = {
    "accounts": [("id", "uuid", True), ("name", "text", True), ("created_at", "timestamptz", True)],
    "users": [
        ("id", "uuid", True),
        ("account_id", "uuid", True),
        ("email", "text", True),
        ("display_name", "text", False),
        ("created_at", "timestamptz", True),
    ],
    "agents": [
        ("id", "uuid", True),
        ("account_id", "uuid", True),
        ("name", "text", True),
        ("created_at", "timestamptz", True),
    ],
    "chat_providers": [
        ("id", "uuid", True),
        ("provider", "text", True),
        ("display_name", "text", True),
        ("enabled", "bool", True),
        ("created_at", "timestamptz", True),
        ("updated_at", "timestamptz", True),
    ],
    "chat_model_configs": [
        ("id", "uuid", True),
        ("provider", "text", True),
        ("model", "text", True),
        ("display_name", "text", True),
        ("created_by", "uuid", False),
        ("updated_by", "uuid", False),
        ("enabled", "bool", True),
        ("is_default", "bool", True),
        ("context_limit", "int8", True),
        ("compression_threshold", "int4", True),
        ("options", "jsonb", True),
        ("deleted", "bool", True),
        ("deleted_at", "timestamptz", False),
        ("created_at", "timestamptz", True),
        ("updated_at", "timestamptz", True),
    ],
    "chats": [
        ("id", "uuid", True),
        ("account_id", "uuid", True),
        ("user_id", "uuid", True),
        ("agent_id", "uuid", True),
        ("title", "varchar", True),
        ("status", "text", True),
        ("last_active", "timestamptz", True),
        ("message_count", "int4", True),
        ("model_config_id", "uuid", False),
        ("created_at", "timestamptz", True),
        ("updated_at", "timestamptz", True),
        ("deleted_at", "timestamptz", False),  # 0007: a deleted chat is a tombstone
    ],
    "chat_provider_tombstones": [
        ("provider", "text", True),
        ("deleted_at", "timestamptz", True),
    ],
    "chat_messages": [
        ("id", "int8", True),
        ("chat_id", "uuid", True),
        ("client_message_id", "uuid", True),
        ("role", "text", True),
        ("content", "text", True),
        ("action", "text", False),
        ("dax_attempts", "jsonb", False),
        ("final_dax", "text", False),
        ("resolution_note", "text", False),
        ("error", "text", False),
        ("model_config_id", "uuid", False),
        ("created_at", "timestamptz", True),
        ("account_id", "uuid", True),  # 0011, NOT NULL from 0012
    ],
    "chat_message_embeddings": [  # 0010
        ("message_id", "int8", True),
        ("account_id", "uuid", True),
        ("chat_id", "uuid", True),
        ("embedding", "vector", True),
        ("created_at", "timestamptz", True),
    ],
}


def project_catalog() -> Catalog:
    files = [
        (p.relative_to(ROOT).as_posix(), p.read_text())
        for p in catalog.migration_files(ROOT / "schema")
    ]
    return catalog.build(files, analyze.view_columns)


def test_project_schema_has_exactly_its_tables() -> None:
    cat = project_catalog()
    assert sorted(cat.tables) == sorted(PROJECT_TABLES)
    for name, expected in PROJECT_TABLES.items():
        got = [(c.name, c.type, c.not_null) for c in cat.tables[name].columns]
        assert got == expected, name
    assert not cat.enums
    keys = {name: t.primary_key for name, t in cat.tables.items()}
    assert keys == {name: ("id",) for name in keys} | {
        "chat_provider_tombstones": ("provider",),
        "chat_message_embeddings": ("account_id", "message_id"),
        # 0014: ids unique per account (users and agents keyed by 0007's unique key)
        "chats": ("account_id", "id"),
        "chat_messages": ("account_id", "id"),
        "users": (),
        "agents": (),
    }
    unique = {name: cat.tables[name].unique for name in ("users", "agents")}
    assert ("account_id", "id") in unique["users"] and ("account_id", "id") in unique["agents"]


def test_project_schema_foreign_keys_and_their_indexes() -> None:
    cat = project_catalog()
    fks = {
        (t.name, f.columns, f.ref_table, f.on_delete)
        for t in cat.tables.values()
        for f in t.foreign_keys
    }
    assert fks == {
        ("users", ("account_id",), "accounts", "c"),
        ("agents", ("account_id",), "accounts", "c"),
        ("chats", ("account_id",), "accounts", "c"),
        ("chats", ("account_id", "user_id"), "users", "c"),  # 0007: tenant keys
        ("chats", ("account_id", "agent_id"), "agents", "c"),
        ("chats", ("model_config_id",), "chat_model_configs", "n"),
        ("chat_messages", ("model_config_id",), "chat_model_configs", "n"),
        ("chat_messages", ("account_id", "chat_id"), "chats", "c"),  # 0012
        ("chat_message_embeddings", ("account_id", "message_id"), "chat_messages", "c"),  # 0014
    }
    # No foreign key from model configs to providers: a provider delete keeps their history.
    assert all(f.ref_table != "chat_providers" for t in cat.tables.values() for f in t.foreign_keys)
    one_default = next(i for i in cat.indexes if i.name == "chat_model_configs_one_default")
    assert (one_default.columns, one_default.unique, one_default.partial) == ((None,), True, True)


def test_column_default_flags_in_project_schema() -> None:
    cat = project_catalog()
    messages = cat.tables["chat_messages"]
    assert messages.column("id") == Column("id", "int8", True, True, "identity")
    assert messages.column("created_at") == Column("created_at", "timestamptz", True, True)
    assert messages.column("content") == Column("content", "text", True, False)


def test_a_view_the_analyzer_cannot_type_leaves_the_rest_of_the_schema_working() -> None:
    cat = build(
        "CREATE TABLE t (id int PRIMARY KEY);\n"
        "CREATE VIEW rows_of_t AS SELECT t FROM t;\n"  # a whole row: not typed
        "CREATE VIEW gone AS SELECT t FROM t;\n"
        "DROP VIEW gone;\n"
    )
    assert "t" in cat.tables and "rows_of_t" not in cat.tables
    why = cat.why_untyped(None, "rows_of_t")
    assert why is not None and "0001_m.sql:2:" in why and "whole row" in why
    assert cat.why_untyped(None, "gone") is None and "gone" not in cat.untyped
    fixed = build(
        "CREATE TABLE t (id int PRIMARY KEY);\n"
        "CREATE VIEW v AS SELECT t FROM t;\n"
        "CREATE OR REPLACE VIEW v AS SELECT t.id FROM t;\n"
    )
    assert fixed.tables["v"].columns == (Column("id", "int4", True),)
    assert fixed.why_untyped(None, "v") is None
