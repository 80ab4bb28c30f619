"""Tables, columns and locks per query (`codegen.dba.relations`), and `describe`'s new keys.

The semantics are checked on small statements, analysed as queries; PostgreSQL judges it on every
project query: the relations its plan scans are exactly what we say the query touches,
apart from foreign key checks and cascades, which run in triggers outside the plan.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import asyncpg

from codegen import analyze, catalog, parse, pipeline
from codegen import config as cfg
from codegen.dba.explain import PLANNED
from codegen.dba.relations import Lock, Relations, relations
from tests.conftest import ROOT, run_codegen

SCHEMA = """\
CREATE TABLE authors (id bigint PRIMARY KEY, name text NOT NULL UNIQUE, bio text);
CREATE TABLE books (
    id bigint PRIMARY KEY,
    author_id bigint NOT NULL REFERENCES authors (id) ON DELETE CASCADE,
    title text NOT NULL
);
CREATE TABLE reviews (
    id bigint PRIMARY KEY,
    book_id bigint REFERENCES books (id) ON DELETE SET NULL,
    stars int NOT NULL
);
"""
CAT = catalog.build([("schema/0001.sql", SCHEMA)], analyze.view_columns)


def analysed(sql: str, cat: catalog.Catalog = CAT) -> analyze.Analysis:
    (query,) = parse.parse_file("queries/q.sql", f"-- name: Q :exec\n{sql};\n")
    return analyze.analyze(query, cat)


def rel(sql: str, cat: catalog.Catalog = CAT) -> Relations:
    return relations(analysed(sql, cat), cat)


def reads(r: Relations) -> dict[str, tuple[str, ...]]:
    return {x.table: x.columns for x in r.reads}


def writes(r: Relations) -> dict[tuple[str, str], tuple[str, ...]]:
    return {(w.table, w.kind): w.columns for w in r.writes}


def test_cte_names_are_not_tables_and_star_expands_from_the_catalog() -> None:
    r = rel("WITH books AS (SELECT id, name FROM authors) SELECT * FROM books")
    assert reads(r) == {"authors": ("id", "name")}
    assert not r.writes


def test_data_modifying_cte_writes_and_insert_select_reads() -> None:
    r = rel(
        "WITH gone AS (DELETE FROM reviews WHERE stars < 2 RETURNING book_id) "
        "INSERT INTO books (id, author_id, title) SELECT g.book_id, a.id, a.name "
        "FROM gone g JOIN authors a ON a.bio IS NULL"
    )
    assert writes(r) == {
        ("reviews", "delete"): (),
        ("books", "insert"): ("id", "author_id", "title"),
    }
    assert reads(r) == {"reviews": ("stars",), "authors": ("id", "name", "bio")}
    assert Lock("FOR KEY SHARE", ("authors",), implicit=True) in r.locks  # the FK check


def test_update_from_and_subqueries_read_and_key_updates_lock_for_update() -> None:
    r = rel(
        "UPDATE authors a SET bio = b.title FROM books b "
        "WHERE b.author_id = a.id AND EXISTS (SELECT 1 FROM reviews r WHERE r.book_id = b.id)"
    )
    assert writes(r) == {("authors", "update"): ("bio",)}
    assert reads(r) == {
        "authors": ("id",),
        "books": ("id", "author_id", "title"),
        "reviews": ("book_id",),
    }
    assert r.locks == (Lock("FOR NO KEY UPDATE", ("authors",), implicit=True),)
    assert rel("UPDATE authors SET name = 'x' WHERE id = 1").locks == (
        Lock("FOR UPDATE", ("authors",), implicit=True),
    )


def test_delete_cascades_along_foreign_keys() -> None:
    r = rel("DELETE FROM authors WHERE id = 1")
    assert writes(r) == {
        ("authors", "delete"): (),
        ("books", "cascade-delete"): (),
        ("reviews", "set-null"): ("book_id",),
    }
    assert Lock("FOR UPDATE", ("books",), implicit=True) in r.locks


def test_explicit_locks_apply_to_the_named_tables_with_their_wait_policy() -> None:
    r = rel(
        "SELECT b.id FROM books b JOIN authors a ON a.id = b.author_id "
        "FOR NO KEY UPDATE OF b SKIP LOCKED FOR KEY SHARE OF a NOWAIT"
    )
    assert r.locks == (
        Lock("FOR NO KEY UPDATE", ("books",), "SKIP LOCKED"),
        Lock("FOR KEY SHARE", ("authors",), "NOWAIT"),
    )
    everything = rel("SELECT 1 FROM books JOIN authors ON true FOR SHARE")
    assert everything.locks == (Lock("FOR SHARE", ("books", "authors")),)


def test_correlated_columns_resolve_to_the_outer_table() -> None:
    r = rel("SELECT name FROM authors WHERE (SELECT count(*) FROM books WHERE author_id = id) > 1")
    # `id` is books.id (innermost scope first), as PostgreSQL resolves it
    assert reads(r) == {"authors": ("name",), "books": ("id", "author_id")}


async def _plan_relations(conn: asyncpg.Connection[Any], a: analyze.Analysis) -> set[str]:
    types = ", ".join(p.type for p in a.params)
    await conn.execute(f"PREPARE q{'(' + types + ')' if types else ''} AS {a.query.sql}")
    try:
        args = ", ".join("NULL" for _ in a.params)
        plan = await conn.fetchval(
            f"EXPLAIN (FORMAT JSON) EXECUTE q{'(' + args + ')' if args else ''}"
        )
    finally:
        await conn.execute("DEALLOCATE q")
    found: set[str] = set()

    def walk(node: dict[str, Any]) -> None:
        if "Relation Name" in node:
            found.add(node["Relation Name"])
        for child in node.get("Plans", ()):
            walk(child)

    walk(json.loads(plan)[0]["Plan"])
    return found


async def test_postgres_plans_touch_exactly_the_tables_we_report(migrated_db: str) -> None:
    result = pipeline.compile_project(cfg.load(ROOT / "pyproject.toml"))
    conn = await asyncpg.connect(migrated_db)
    try:
        await conn.execute("SET plan_cache_mode = force_generic_plan")
        for analyses in result.files.values():
            for a in (a for a in analyses if a.statement in PLANNED):  # a SET has no plan
                r = relations(a, result.catalog)
                planned = await _plan_relations(conn, a)
                triggers = {lk.tables[0] for lk in r.locks if lk.implicit and lk.tables}
                triggers -= {w.table for w in r.writes if w.kind in ("insert", "update", "delete")}
                assert planned <= set(r.tables), a.query.name
                assert set(r.tables) - planned <= triggers, a.query.name
    finally:
        await conn.close()


def test_describe_adds_reads_writes_locks_and_keeps_its_keys(tmp_path: Path) -> None:
    proc = run_codegen("describe", cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    entries = json.loads(proc.stdout)
    result = pipeline.compile_project(cfg.load(ROOT / "pyproject.toml"))
    queries = {a.query.name: a for an in result.files.values() for a in an}
    assert {e["name"] for e in entries} == set(queries)
    for e in entries:
        assert {"name", "command", "file", "line", "sql", "parameters", "columns", "model"} < set(e)
        expected = relations(queries[e["name"]], result.catalog).as_json()
        assert {k: e[k] for k in ("reads", "writes", "locks")} == expected
    locked = [e for e in entries if any(not lk["implicit"] for lk in e["locks"])]
    assert locked and all("FOR UPDATE" in e["sql"] or "advisory" in e["sql"] for e in locked)


def test_tables_in_other_schemas_keep_their_schema_and_columns() -> None:
    schema = SCHEMA + (
        "CREATE SCHEMA app;\n"
        "CREATE TABLE app.books (id bigint PRIMARY KEY, label text NOT NULL,"
        " author_id bigint REFERENCES public.authors (id));\n"
    )
    cat = catalog.build([("schema/0001.sql", schema)], analyze.view_columns)
    r = rel(
        "WITH w AS (UPDATE app.books SET label = @l WHERE id = 1 RETURNING id) "
        "SELECT b.label FROM app.books b JOIN books p ON p.id = b.id, w",
        cat,
    )
    assert reads(r) == {"app.books": ("id", "label"), "books": ("id",)}
    assert writes(r) == {("app.books", "update"): ("label",)}
    assert Lock("FOR NO KEY UPDATE", ("app.books",), implicit=True) in r.locks


def test_merge_reads_its_source_and_writes_by_its_when_clauses() -> None:
    r = rel(
        "MERGE INTO books b USING authors a ON b.author_id = a.id "
        "WHEN MATCHED AND a.bio IS NULL THEN DELETE "
        "WHEN MATCHED THEN UPDATE SET title = a.name "
        "WHEN NOT MATCHED THEN INSERT (id, author_id, title) VALUES (a.id, a.id, a.name)"
    )
    assert writes(r) == {
        ("books", "delete"): (),
        ("books", "update"): ("title",),
        ("books", "insert"): ("id", "author_id", "title"),
        ("reviews", "set-null"): ("book_id",),
    }
    assert reads(r)["authors"] == ("id", "name", "bio")
    assert Lock("FOR UPDATE", ("books",), implicit=True) in r.locks
