"""Adding a table the README's way passes everything, with no test edited.

In a copy of the project: a migration with its rollback and `-- depends:` line, the
table's grants in `schema_roles/02_grants.sql`, and a queries file. Then the generator
(generate, check, vet), the generated code (ruff, mypy --strict), the migrations
(apply, rollback, apply) and verify, and the copy's own schema-derived tests (migrations,
tables, grants, the app role's exact privileges) all pass.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, migration_ids

IGNORE = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", "*.pyc", ".*_cache", "results", "*.egg-info"
)

MIGRATION = """\
-- Tags users put on their chats.
-- depends: {last}

CREATE TABLE chat_tags (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id uuid        NOT NULL,
    chat_id    uuid        NOT NULL,
    tag        text        NOT NULL CHECK (tag <> ''),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, chat_id, tag),
    FOREIGN KEY (account_id, chat_id) REFERENCES chats (account_id, id) ON DELETE CASCADE
);
"""

ROLLBACK = "DROP TABLE chat_tags;\n"

GRANTS = """
GRANT SELECT, INSERT, DELETE ON chat_tags TO chatdb_app;
GRANT USAGE ON SEQUENCE chat_tags_id_seq TO chatdb_app;
"""

QUERIES = """\
-- name: AddChatTag :one
INSERT INTO chat_tags (account_id, chat_id, tag) VALUES (@account_id, @chat_id, @tag)
RETURNING *;

-- name: ListChatTags :many
SELECT * FROM chat_tags WHERE account_id = @account_id AND chat_id = @chat_id ORDER BY tag;

-- name: RemoveChatTag :execrows
DELETE FROM chat_tags WHERE account_id = @account_id AND chat_id = @chat_id AND tag = @tag;
"""

# The copy's own tests whose expectations come from schema/ and schema_roles/.
DERIVED_TESTS = [
    "tests/test_migrate.py::test_apply_all_on_empty_db_creates_every_table",
    "tests/test_migrate.py::test_apply_rollback_all_apply_reproduces_identical_schema",
    "tests/test_migrate.py::test_rollback_latest_and_down_to_revision",
    "tests/test_grants.py",
    "tests/test_security.py::test_app_role_has_exactly_the_privileges_its_queries_need",
    "tests/test_security.py::test_migrations_ran_as_the_owner_and_no_role_has_cluster_powers",
]


def add_table(project: Path) -> str:
    """The README's checklist, applied to `project`; returns the new migration's id."""
    last = migration_ids(project / "schema")[-1]
    mid = f"{int(last[:4]) + 1:04d}_chat_tags"
    (project / "schema" / f"{mid}.sql").write_text(MIGRATION.format(last=last))
    (project / "schema" / f"{mid}.rollback.sql").write_text(ROLLBACK)
    grants = project / "schema_roles" / "02_grants.sql"
    grants.write_text(grants.read_text() + GRANTS)
    (project / "queries" / "chat_tags.sql").write_text(QUERIES)
    return mid


def run(project: Path, *args: str, dsn: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": f"{project}{os.pathsep}{project / 'src'}"}
    env.pop("DATABASE_URL", None)
    if dsn:
        env["DATABASE_URL"] = dsn
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_adding_a_table_with_migration_grants_and_queries_passes_everything(
    admin_dsn: str, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    shutil.copytree(ROOT, project, ignore=IGNORE)
    mid = add_table(project)

    steps = [
        ("codegen", "generate"),
        ("codegen", "check"),
        ("codegen", "vet"),
        ("ruff", "check", "src/chatdb/db"),
        ("ruff", "format", "--check", "src/chatdb/db"),
        ("mypy", "src/chatdb/db"),
        ("codegen", "verify", "--dsn", admin_dsn),
    ]
    for step in steps:
        done = run(project, *step)
        assert done.returncode == 0, (step, done.stdout, done.stderr)
    generated = (project / "src" / "chatdb" / "db" / "chat_tags.py").read_text()
    assert "async def add_chat_tag(" in generated and "ChatTag" in generated

    tests = run(project, "pytest", "-q", "-p", "no:cacheprovider", *DERIVED_TESTS, dsn=admin_dsn)
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
    assert " passed" in tests.stdout.splitlines()[-1] and "skipped" not in tests.stdout
    assert mid in migration_ids(project / "schema")
