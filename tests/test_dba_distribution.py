"""The `distribution` vet rule and its `[tool.codegen] distribution` key."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import ROOT, run_codegen
from tests.test_verify import make_project

SCHEMA = """\
CREATE TABLE tenants (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE docs (
    tenant_id bigint NOT NULL REFERENCES tenants (id),
    id bigint NOT NULL,
    title text NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE TABLE notes (
    tenant_id bigint NOT NULL DEFAULT 1,
    doc_id bigint NOT NULL,
    body text NOT NULL,
    FOREIGN KEY (tenant_id, doc_id) REFERENCES docs (tenant_id, id)
);
CREATE TABLE countries (code text PRIMARY KEY);
"""
DIST = 'distribution = { tenants = "id", docs = "tenant_id", notes = "tenant_id" }\n'

# Each query's name says whether the rule must flag it (Bad...) or not (Ok...).
QUERIES = """\
-- name: OkByParam :one
SELECT * FROM docs WHERE tenant_id = @tenant_id AND id = @id;

-- name: OkColocatedJoin :many
SELECT n.body FROM notes n JOIN docs d ON d.tenant_id = n.tenant_id AND d.id = n.doc_id
WHERE d.tenant_id = @tenant_id::bigint;

-- name: OkAnyOfTenants :many
SELECT id FROM docs WHERE tenant_id = ANY(@tenants::bigint[]) AND title = @title;

-- name: OkReferenceTableOnly :many
SELECT code FROM countries;

-- name: OkInsertWithKey :exec
INSERT INTO docs (tenant_id, id, title) VALUES (@tenant_id, @id, @title);

-- name: OkInsertKeyByDefault :exec
INSERT INTO notes (doc_id, body) VALUES (@doc_id, @body);

-- name: OkSilenced :many
-- vet: ignore distribution
SELECT id FROM docs WHERE title = @title;

-- name: BadNoFilter :many
SELECT id FROM docs WHERE title = @title;

-- name: BadOrIsNotAPin :many
SELECT id FROM docs WHERE tenant_id = @a::bigint OR title = @t;

-- name: BadJoinNotPinned :many
SELECT n.body FROM notes n JOIN docs d ON d.tenant_id = n.tenant_id WHERE d.id = @id;

-- name: BadSubquery :many
SELECT id FROM tenants t WHERE t.id = @tenant_id
  AND EXISTS (SELECT 1 FROM docs d WHERE d.title = @title);

-- name: BadUpdate :exec
UPDATE docs SET title = @title WHERE id = @id;

-- name: BadInsert :exec
INSERT INTO docs (id, title) SELECT id, name FROM tenants WHERE id = @id;
"""


def _flagged(stderr_or_out: str) -> dict[str, tuple[int, int]]:
    found = {}
    for m in re.finditer(
        r"^queries/q\.sql:(\d+):(\d+): error: (\w+): .*\[distribution\]", stderr_or_out, re.M
    ):
        found[m.group(3)] = (int(m.group(1)), int(m.group(2)))
    return found


def test_vet_flags_exactly_the_queries_that_do_not_pin_the_distribution_column(
    tmp_path: Path,
) -> None:
    make_project(tmp_path, schema=SCHEMA, queries=QUERIES, extra=DIST)
    proc = run_codegen("vet", cwd=tmp_path)
    assert proc.returncode == 1
    flagged = _flagged(proc.stdout)
    names = re.findall(r"-- name: (\w+)", QUERIES)
    assert set(flagged) == {n for n in names if n.startswith("Bad")}
    lines = QUERIES.splitlines()
    line, col = flagged["BadNoFilter"]
    assert lines[line - 1][col - 1 :].startswith("docs")  # points at the table
    pairs = re.findall(r"error: (\w+): (\w+) is distributed by", proc.stdout)
    # a join of two distributed tables, neither pinned: both are reported
    assert sorted(t for q, t in pairs if q == "BadJoinNotPinned") == ["docs", "notes"]
    assert len(pairs) == len(flagged) + 1


def test_without_the_key_vet_does_not_apply_the_rule(tmp_path: Path) -> None:
    make_project(tmp_path, schema=SCHEMA, queries=QUERIES)
    proc = run_codegen("vet", cwd=tmp_path)
    assert _flagged(proc.stdout) == {}


def test_bad_distribution_config_is_an_error_naming_the_key(tmp_path: Path) -> None:
    cases = {
        'distribution = { nope = "id" }\n': 'table "nope" does not exist',
        'distribution = { docs = "tenant" }\n': 'column "tenant" does not exist in table "docs"',
        'distribution = ["docs"]\n': "distribution must map table names to column names",
    }
    for i, (extra, message) in enumerate(cases.items()):
        root = tmp_path / str(i)
        make_project(root, schema=SCHEMA, queries=QUERIES, extra=extra)
        proc = run_codegen("vet", cwd=root)
        assert proc.returncode == 1, extra
        assert "[tool.codegen] distribution" in proc.stderr and message in proc.stderr
        assert "Traceback" not in proc.stderr


def test_project_vet_is_unchanged_without_distribution() -> None:
    proc = run_codegen("vet", cwd=ROOT)
    assert "[distribution]" not in proc.stdout


def test_scaling_doc_lists_exactly_what_vet_reports_for_its_config(tmp_path: Path) -> None:
    """docs/scaling.md's config block, run through vet: the queries it says need
    `account_id` or are multi-shard are exactly the ones vet flags."""
    import shutil
    import tomllib

    doc = (ROOT / "docs" / "scaling.md").read_text()
    block = re.search(r"```toml\n(.*?)```", doc, re.S)
    assert block is not None
    dist = tomllib.loads(block.group(1))["tool"]["codegen"]["distribution"]
    for rel in ("schema", "queries"):
        shutil.copytree(ROOT / rel, tmp_path / rel)
    pairs = ", ".join(f'{t} = "{c}"' for t, c in dist.items())
    (tmp_path / "pyproject.toml").write_text(
        '[tool.codegen]\nschema = "schema"\nqueries = "queries"\npackage = "out/db"\n'
        f"distribution = {{ {pairs} }}\n"
    )
    proc = run_codegen("vet", cwd=tmp_path)
    flagged = set(re.findall(r"error: (\w+): \w+ is distributed by", proc.stdout))
    row = next(line for line in doc.splitlines() if line.startswith("| `InsertAccount`"))
    _, _, needs, by_design, _ = row.split("|")
    documented = set(re.findall(r"`(\w+)`", needs + by_design))
    assert flagged == documented
