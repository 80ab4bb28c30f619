"""`codegen init`: a new project's config, first migration (and its rollback) and first queries.

Writes `[tool.codegen]` into pyproject.toml (created when missing; an existing file keeps
every byte and gets the section appended) or, with `--sqlc`, an `sqlc.yaml`; then
`schema/0001_items.sql`, `schema/0001_items.rollback.sql` and `queries/items.sql`. It never
overwrites: every file it would write is checked first, and any that exists (or a config
that already points the generator somewhere) is one message and nothing written.
"""

from __future__ import annotations

import argparse
import re
import tomllib
from pathlib import Path
from typing import Any

from codegen import versions
from codegen.config import SQLC_NAMES
from codegen.errors import CodegenError

HELP = "scaffold [tool.codegen] (or sqlc.yaml), schema/ and queries/ in the current folder"

MIGRATION = """\
-- The first table. `codegen migrate apply` runs schema/*.sql in order; every later file
-- names the one it follows (`-- depends: 0001_items`), and each has a .rollback.sql.

CREATE TABLE items (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
"""

ROLLBACK = """\
-- Reverses 0001_items.

DROP TABLE items;
"""

QUERIES = """\
-- Adds an item and returns it.
-- name: CreateItem :one
INSERT INTO items (name) VALUES (@name) RETURNING *;

-- name: GetItem :one
SELECT * FROM items WHERE id = @id;

-- The newest items first, at most `max_rows` of them.
-- name: ListItems :many
SELECT * FROM items ORDER BY created_at DESC, id DESC LIMIT @max_rows;
"""

PYPROJECT_SECTION = """\
[tool.codegen]
schema = "schema"    # migrations: NNNN_name.sql, NNNN_name.rollback.sql (`codegen migrate`)
queries = "queries"  # named queries (`-- name: GetItem :one`), one file per table
package = "{package}"  # the generated package: commit it, `codegen check` keeps it current
postgresql = "{postgresql}"  # the PostgreSQL major you run: "15", "16", "17" or "18"
"""

SQLC_YAML = """\
version: "2"
sql:
  - engine: postgresql
    schema: schema
    queries: queries
"""
# codegen writes the package to db/ beside sqlc.yaml unless this key says otherwise; the Go
# sqlc refuses unknown keys, so a project that runs both keeps db/.
SQLC_PACKAGE = """\
# Where `codegen generate` writes the Python package (the Go sqlc refuses this key).
codegen:
  package: {package}
"""

FILES = {
    Path("schema/0001_items.sql"): MIGRATION,
    Path("schema/0001_items.rollback.sql"): ROLLBACK,
    Path("queries/items.sql"): QUERIES,
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sqlc", action="store_true", help="write sqlc.yaml instead of [tool.codegen]"
    )
    parser.add_argument(
        "--package",
        help="folder of the generated package (default: <your package>/db when pyproject's "
        "[project] name is a package here, else db; db with --sqlc)",
    )
    parser.add_argument("--dir", default=".", help="project folder (default: the current one)")


def _pyproject(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CodegenError(f"{path}: {exc}; fix it, then run `codegen init` again") from None


def default_package(root: Path, project: dict[str, Any]) -> str:
    """`<import name>/db` (or `src/<import name>/db`) when pyproject's [project] name is a
    package in this folder: the generated code lives inside the code it serves."""
    name = project.get("project", {}).get("name")
    if isinstance(name, str):
        module = re.sub(r"[-_.]+", "_", name).lower()
        for base in (f"src/{module}", module):
            if (root / base / "__init__.py").is_file():
                return f"{base}/db"
    return "db"


def _refusals(root: Path, project: dict[str, Any]) -> list[str]:
    out = [
        f"{folder}/ already holds .sql files"
        for folder in sorted({rel.parts[0] for rel in FILES})
        if any((root / folder).glob("*.sql"))
    ]
    if "codegen" in project.get("tool", {}):
        out.append("pyproject.toml already has [tool.codegen]")
    out.extend(f"{name} exists" for name in SQLC_NAMES if (root / name).exists())
    return out


def _check_package(package: str) -> str:
    parts = Path(package).parts
    if not parts or not parts[-1].isidentifier() or Path(package).is_absolute() or ".." in parts:
        raise CodegenError(
            f"--package {package}: a relative folder whose last part is a Python name"
        )
    return Path(package).as_posix()


def init(root: Path, sqlc: bool, package: str | None) -> list[Path]:
    """Write the scaffold into `root`; the files written, or CodegenError and nothing."""
    pyproject = root / "pyproject.toml"
    project = _pyproject(pyproject)
    refusals = _refusals(root, project)
    if refusals:
        raise CodegenError(
            f"init: {'; '.join(refusals)}: nothing written (init starts a project and never "
            "overwrites; edit the existing files instead)"
        )
    pkg = _check_package(package or ("db" if sqlc else default_package(root, project)))
    written: list[Path] = []
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
        written.append(root / rel)
    if sqlc:
        extra = "" if pkg == "db" else SQLC_PACKAGE.format(package=pkg)
        (root / "sqlc.yaml").write_text(SQLC_YAML + extra, encoding="utf-8")
        written.append(root / "sqlc.yaml")
    else:
        old = pyproject.read_text(encoding="utf-8") if pyproject.exists() else ""
        sep = "" if not old else "\n" if old.endswith("\n") else "\n\n"
        section = PYPROJECT_SECTION.format(package=pkg, postgresql=versions.NEWEST)
        pyproject.write_text(old + sep + section, encoding="utf-8")
        written.append(pyproject)
    return written


def cmd_init(args: argparse.Namespace) -> int:
    root = Path(args.dir).resolve()
    if not root.is_dir():
        raise CodegenError(f"init: {args.dir} is not a folder")
    written = init(root, args.sqlc, args.package)
    for path in written:
        print(f"wrote {path.relative_to(root).as_posix()}")
    print("\nnext:")
    print("  codegen generate                              # the typed package from queries/")
    print("  codegen migrate apply --dsn postgresql://...  # create the table (or DATABASE_URL)")
    return 0
