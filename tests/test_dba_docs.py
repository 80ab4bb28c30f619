"""The review catalog: `docs/queries.md` and `docs/schema.md`, written by `generate` and
kept current by `check`; expectations come from the catalog and the analysed queries."""

from __future__ import annotations

import re
from pathlib import Path

from codegen import config as cfg
from codegen import pipeline
from codegen.dba import docs, relations
from tests.conftest import ROOT, run_codegen
from tests.test_verify import make_project


def test_project_docs_are_current_and_cover_every_query_and_table() -> None:
    config = cfg.load(ROOT / "pyproject.toml")
    result = pipeline.compile_project(config)
    rendered = pipeline.render_project(config, result)
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
                assert f"| {c.name} | {docs.pretty_type(c.type)} | {nullable} |" in section
            for r in relations.relations(a.query.stmt, result.catalog).reads:
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
