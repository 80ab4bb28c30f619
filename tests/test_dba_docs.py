"""The review catalog: `docs/queries.md` and `docs/schema.md`, written by `generate` and
kept current by `check`; expectations come from the catalog and the analysed queries."""

from __future__ import annotations

import re
from pathlib import Path

from codegen import config as cfg
from codegen import pipeline
from codegen.dba import cli as dba_cli
from codegen.dba import docs, relations
from tests.conftest import ROOT, run_codegen
from tests.test_verify import make_project


def test_project_docs_are_current_and_cover_every_query_and_table() -> None:
    config = cfg.load(ROOT / "pyproject.toml")
    result = pipeline.compile_project(config)
    rendered = pipeline.render_project(config, result, dba_cli.OUTPUTS)
    queries_md = rendered[ROOT / "docs" / "queries.md"]
    schema_md = rendered[ROOT / "docs" / "schema.md"]
    assert (ROOT / "docs" / "queries.md").read_text() == queries_md
    assert (ROOT / "docs" / "schema.md").read_text() == schema_md
    for path, analyses in result.files.items():
        assert f"## {path}" in queries_md
        for a in analyses:
            section = queries_md.split(f"### {a.query.name} `")[1].split("\n### ")[0]
            assert f"{a.query.source.path}:{a.query.line}" in section
            assert a.query.sql in section
            for c in a.columns:
                nullable = "yes" if c.nullable else "no"
                assert (
                    f"| {c.name} | {docs.column_type(c, result.catalog)} | {nullable} |" in section
                )
            for r in relations.relations(a, result.catalog).reads:
                assert f"reads `{r.table}`" in section
    tables = [t for t in result.catalog.tables.values() if not t.is_view]
    assert schema_md.count("```mermaid\nerDiagram\n") == 1
    for t in tables:
        entity = re.search(rf"^    {t.name} {{\n(.*?)\n    }}$", schema_md, re.S | re.M)
        assert entity is not None, t.name
        names = [line.split()[1] for line in entity.group(1).splitlines()]
        assert names == [c.name for c in t.columns]
        for pk in t.primary_key:
            assert re.search(rf" {pk} PK\b", entity.group(1))
        for fk in t.foreign_keys:
            assert (
                f"{fk.ref_table} " in schema_md
                and f'--o{{ {t.name} : "{", ".join(fk.columns)}"' in schema_md
            )


def test_generate_writes_docs_check_catches_a_stale_one_and_errors_write_nothing(
    tmp_path: Path,
) -> None:
    make_project(tmp_path, extra='docs = "review"\n')
    proc = run_codegen("generate", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    schema = tmp_path / "review" / "schema.md"
    assert "authors ||--o{ books" in schema.read_text()
    assert run_codegen("check", cwd=tmp_path).returncode == 0
    schema.write_text(schema.read_text().replace("PK", "XX"))
    proc = run_codegen("check", cwd=tmp_path)
    assert proc.returncode == 1 and "review/schema.md" in proc.stdout

    broken = tmp_path / "broken"
    make_project(
        broken, queries="-- name: Bad :one\nSELECT nope FROM authors;\n", extra='docs = "d"\n'
    )
    proc = run_codegen("generate", cwd=broken)
    assert proc.returncode == 1 and "queries/q.sql:2:8" in proc.stderr
    assert not (broken / "d").exists()


def test_docs_key_must_be_a_path(tmp_path: Path) -> None:
    make_project(tmp_path, extra="docs = 3\n")
    proc = run_codegen("generate", cwd=tmp_path)
    assert proc.returncode == 1
    assert "[tool.codegen] docs must be a path" in proc.stderr
    assert "Traceback" not in proc.stderr


DOCS_SCHEMA = """\
CREATE TABLE currencies (
    code char(3) PRIMARY KEY,
    name varchar(40) NOT NULL CHECK (name <> ''),
    rate numeric(12, 4) NOT NULL CONSTRAINT rate_positive CHECK (rate > 0),
    low int NOT NULL CHECK (low >= 0),
    high int NOT NULL,
    seen timestamptz(3),
    CHECK (low <= high),
    CHECK (low < 100)
);
ALTER TABLE currencies ADD CHECK (high < 1000000);
ALTER TABLE currencies ADD CONSTRAINT doomed CHECK (low < 5);
ALTER TABLE currencies DROP CONSTRAINT doomed;
CREATE TABLE prices (
    id bigint PRIMARY KEY,
    currency char(3) NOT NULL REFERENCES currencies (code),
    amount numeric(12, 2) NOT NULL,
    codes char(2)[]
);
CREATE INDEX prices_currency_idx ON prices (currency);
ALTER TABLE prices ADD COLUMN gone int CHECK (gone > 0);
ALTER TABLE prices DROP COLUMN gone;
ALTER TABLE prices RENAME COLUMN amount TO total;
ALTER TABLE prices ADD CONSTRAINT total_positive CHECK (total > 0);
"""
DOCS_VIEW = """\
-- the cheap ones, as the catalog team reads them
CREATE VIEW cheap_prices AS
    SELECT p.id, p.total, c.code  -- the currency's code
    FROM prices p JOIN currencies c ON c.code = p.currency
    WHERE p.total < 10"""
DOCS_QUERIES = """\
-- name: PricesIn :many
SELECT id, currency, total FROM prices WHERE id IN (sqlc.slice(ids)) ORDER BY id;
"""


def _docs_project(tmp_path: Path) -> dict[str, str]:
    make_project(
        tmp_path, schema=DOCS_SCHEMA + DOCS_VIEW + ";\n", queries=DOCS_QUERIES, extra='docs = "d"\n'
    )
    config = cfg.load(tmp_path / "pyproject.toml")
    rendered = pipeline.render_project(config, pipeline.compile_project(config), dba_cli.OUTPUTS)
    return {p.name: text for p, text in rendered.items() if p.parent == tmp_path / "d"}


def test_a_slice_parameter_is_one_array_and_types_keep_their_modifiers(tmp_path: Path) -> None:
    md = _docs_project(tmp_path)
    assert "| $1 | ids | int8[] (slice) | no |" in md["queries.md"]
    assert "| currency | char(3) | no |" in md["queries.md"]
    assert "| total | numeric(12,2) | no |" in md["queries.md"]
    assert "        char(3) code PK\n" in md["schema.md"]
    assert "        char(2)[] codes" in md["schema.md"]


async def test_schema_types_checks_and_views_are_postgresql_s(
    empty_db: str, tmp_path: Path
) -> None:
    """Every column's type modifiers, every CHECK constraint by name (PostgreSQL's default
    names for unnamed ones) and every view, as the server has them after the migration;
    each view's SQL as written."""
    import asyncpg

    from codegen import migrate

    md = _docs_project(tmp_path)["schema.md"]
    migrate.apply(empty_db, tmp_path / "schema")
    conn = await asyncpg.connect(empty_db)
    try:
        columns = await conn.fetch(
            "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) AS type"
            " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
            " WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'"
            " AND a.attnum > 0 AND NOT a.attisdropped AND c.relname NOT LIKE '%yoyo%'"
        )
        checks = await conn.fetch(
            "SELECT conrelid::regclass::text AS t, conname FROM pg_constraint"
            " WHERE contype = 'c' AND connamespace = 'public'::regnamespace"
            " AND conrelid::regclass::text NOT LIKE '%yoyo%'"  # the migration runner's own
        )
        views = await conn.fetch("SELECT viewname FROM pg_views WHERE schemaname = 'public'")
    finally:
        await conn.close()
    for r in columns:
        entity = md.split(f"    {r['relname']} {{\n")[1].split("    }")[0]
        (line,) = [x for x in entity.splitlines() if x.split()[1] == r["attname"]]
        modifiers = re.findall(r"\([\d,]+\)", r["type"])
        assert re.findall(r"\([\d_]+\)", line.split()[0]) == [
            m.replace(",", "_") for m in modifiers
        ]
    section = md.split("## Check constraints\n")[1].split("\n## ")[0]
    listed = {tuple(row.split(" | ")[:2]) for row in re.findall(r"^\| (.*) \|$", section, re.M)}
    assert listed - {("table", "constraint")} == {(r["t"], r["conname"]) for r in checks}
    assert "| currencies | rate_positive | CHECK (rate > 0) |" in section
    assert "| prices | total_positive | CHECK (total > 0) |" in section
    assert sorted(re.findall(r"^### `(\w+)`$", md.split("## Views\n")[1], re.M)) == sorted(
        r["viewname"] for r in views
    )
    assert DOCS_VIEW.split("\n", 1)[1] + ";" in md


async def test_the_project_s_check_constraints_are_the_server_s(migrated_db: str) -> None:
    import asyncpg

    md = (ROOT / "docs" / "schema.md").read_text()
    section = md.split("## Check constraints\n")[1].split("\n## ")[0]
    listed = {tuple(row.split(" | ")[:2]) for row in re.findall(r"^\| (.*) \|$", section, re.M)}
    conn = await asyncpg.connect(migrated_db)
    try:
        checks = await conn.fetch(
            "SELECT conrelid::regclass::text AS t, conname FROM pg_constraint"
            " WHERE contype = 'c' AND connamespace = 'public'::regnamespace"
            " AND conrelid::regclass::text NOT LIKE '%yoyo%'"  # the migration runner's own
        )
    finally:
        await conn.close()
    assert listed - {("table", "constraint")} == {(r["t"], r["conname"]) for r in checks}
