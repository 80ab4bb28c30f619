"""Migration lint for `codegen vet`: squawk's rules and ours, before a migration ships.

A migration that blocks writes on a busy table (`CREATE INDEX` without `CONCURRENTLY` on an
existing table, `ADD CONSTRAINT` that scans under a strong lock, a type change) or that
cannot be undone fails in production, not in review. squawk (the `squawk-cli` wheel,
a self-contained binary) knows PostgreSQL's lock levels; our own rules add what yoyo
accepts silently and regrets later:

- `missing-rollback`: every `NNNN_name.sql` has its `NNNN_name.rollback.sql`;
- `missing-depends`: every migration but the first has a `-- depends:` line (yoyo orders
  by it; without it a new file is ordered by name only, and `rollback` may undo the wrong
  one first);
- `not-reentrant`: every statement of a `-- transactional: false` migration and of its
  rollback file can run again over what an interrupted run left (`codegen migrate`
  resumes such a migration statement by statement, and reverses it with the whole other
  file): `codegen.migrate.statements` says which statements can.

squawk rules switched off for every file, and why:

- `require-lock-timeout`, `require-statement-timeout`: `codegen migrate` runs every
  migration with both set (`[tool.codegen.migrate]`, default 5s / 5min);
- `prefer-robust-stmts`: each migration runs in one transaction (a failure leaves
  nothing behind to re-run over); a `-- transactional: false` file is written to be
  re-runnable by hand and reviewed as such.

squawk rules off unless the project's `.squawk.toml` lists them in `included_rules`:
`prefer-bigint-over-int`, `prefer-bigint-over-smallint` (`DEFAULT_OFF`): a column's size is
a design choice, not a hazard; a nag on every `integer` column teaches people to ignore vet.

The project's own `.squawk.toml` (beside pyproject.toml) is passed to squawk: its
`excluded_rules` are added to the above, its `included_rules` win over `DEFAULT_OFF`, and
its other settings (`pg_version`, `excluded_paths`, ...) are squawk's. An inline
`-- squawk-ignore <rule>` comment silences the statement below it, as squawk documents.

One finding is silenced for one file with `vet_ignore = ["<rule>:<file name>"]` in
`[tool.codegen]`, e.g. `"prefer-text-field:0004_chats.sql"`, next to a comment saying why.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from codegen.catalog import migration_files
from codegen.errors import CodegenError, SourceText, shown

SQUAWK_OFF = ("require-lock-timeout", "require-statement-timeout", "prefer-robust-stmts")
DEFAULT_OFF = ("prefer-bigint-over-int", "prefer-bigint-over-smallint")
SQUAWK_CONFIG = ".squawk.toml"
_DEPENDS = re.compile(r"^--\s*depends:\s*\S", re.M)
_NOT_TRANSACTIONAL = re.compile(r"^--\s*transactional:\s*false\b", re.M | re.I)


@dataclass(frozen=True)
class LintFinding:
    rule: str
    error: CodegenError


def squawk_binary() -> str:
    """The squawk executable of this environment (the venv's bin first), or CodegenError."""
    local = Path(sys.executable).parent / "squawk"
    found = str(local) if local.exists() else shutil.which("squawk")
    if not found:
        raise CodegenError("vet: squawk not found; install it with: pip install squawk-cli")
    return found


def _finding(rule: str, text: str, source: SourceText, offset: int, hint: str) -> LintFinding:
    return LintFinding(rule, CodegenError(f"{text} [{rule}] ({hint})", source, offset))


def _own_rules(files: list[Path], sources: dict[Path, SourceText]) -> list[LintFinding]:
    out = []
    for i, path in enumerate(files):
        src = sources[path]
        rollback = path.with_name(path.name.removesuffix(".sql") + ".rollback.sql")
        if not rollback.exists():
            text = f"migration has no rollback file {rollback.name}"
            out.append(_finding("missing-rollback", text, src, 0, f"add {rollback.name}"))
        if i > 0 and not _DEPENDS.search(src.text):
            text = "migration has no `-- depends:` line"
            hint = f"add: -- depends: {files[i - 1].stem}"
            out.append(_finding("missing-depends", text, src, 0, hint))
    return out


def _not_reentrant(files: list[Path], root: Path) -> list[LintFinding]:
    """Statements of non-transactional migrations (both files) that cannot run again."""
    out = []
    for path in files:
        if not _NOT_TRANSACTIONAL.search(path.read_text(encoding="utf-8")):
            continue
        rollback = path.with_name(path.name.removesuffix(".sql") + ".rollback.sql")
        for file in [path, rollback] if rollback.exists() else [path]:
            out += _not_reentrant_in(file, root)
    return out


def _not_reentrant_in(file: Path, root: Path) -> list[LintFinding]:
    """One file, split into statements as the runner splits it (yoyo's splitting)."""
    from yoyo.migrations import read_sql_migration  # type: ignore[import-untyped]

    from codegen.migrate.source import statement_offsets
    from codegen.migrate.statements import not_reentrant

    body = file.read_text(encoding="utf-8")
    src = SourceText(file.resolve().relative_to(root).as_posix(), body)
    hint = f'write it re-entrant, or silence: vet_ignore = ["not-reentrant:{file.name}"]'
    out = []
    statements = read_sql_migration(str(file))[2]
    offsets = statement_offsets(body, statements)
    for number, (sql, at) in enumerate(zip(statements, offsets, strict=True), 1):
        reason = not_reentrant(sql)
        if reason:
            text = f"statement {number} cannot safely run again: {reason}"
            out.append(_finding("not-reentrant", text, src, at, hint))
    return out


def _offset(text: str, line: int, col: int) -> int:
    """Offset of squawk's 0-based line and column."""
    lines = text.splitlines(keepends=True)
    return sum(len(x) for x in lines[:line]) + col


def squawk_settings(root: Path) -> list[str]:
    """squawk's options for the project at `root`: its `.squawk.toml`, if any, and the rules
    to exclude (squawk's `--exclude` replaces the file's `excluded_rules`, so they are merged
    here)."""
    path = root / SQUAWK_CONFIG
    if not path.is_file():
        return ["--exclude", ",".join(SQUAWK_OFF + DEFAULT_OFF)]
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CodegenError(f"{SQUAWK_CONFIG}: {exc}") from None
    rules = {}
    for key in ("excluded_rules", "included_rules"):
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise CodegenError(f"{SQUAWK_CONFIG}: {key} must be a list of rule names")
        rules[key] = value
    off = [r for r in DEFAULT_OFF if r not in rules["included_rules"]]
    excluded = dict.fromkeys([*SQUAWK_OFF, *off, *rules["excluded_rules"]])
    return ["--config", str(path), "--exclude", ",".join(excluded)]


def _squawk(
    files: list[Path], sources: dict[Path, SourceText], settings: list[str]
) -> list[LintFinding]:
    """squawk over the files; transactional ones are linted as running in a transaction."""
    out: list[LintFinding] = []
    by_path = {str(p): p for p in files}
    groups = [
        ([p for p in files if not _NOT_TRANSACTIONAL.search(sources[p].text)], True),
        ([p for p in files if _NOT_TRANSACTIONAL.search(sources[p].text)], False),
    ]
    for group, in_transaction in groups:
        if not group:
            continue
        cmd = [squawk_binary(), "--reporter", "json", *settings]
        cmd += ["--assume-in-transaction"] * in_transaction + [str(p) for p in group]
        run = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=60)
        try:
            reported = json.loads(run.stdout or "[]")
        except json.JSONDecodeError:
            raise CodegenError(f"vet: squawk failed: {run.stderr.strip() or run.stdout}") from None
        for r in reported:
            path = by_path[r["file"]]
            src = sources[path]
            offset = _offset(src.text, int(r["line"]), int(r["column"]))
            rule = r["rule_name"]
            hint = f'silence: vet_ignore = ["{rule}:{path.name}"]'
            out.append(_finding(rule, r["message"].rstrip("."), src, offset, hint))
    return out


def lint(schema_dir: Path, root: Path, ignore: set[str]) -> list[LintFinding]:
    """Every finding over the forward migrations in `schema_dir`, in file order."""
    files = migration_files(schema_dir)
    sources = {p: SourceText(shown(p, root), p.read_text(encoding="utf-8")) for p in files}
    findings = (
        _own_rules(files, sources)
        + _not_reentrant(files, root)
        + _squawk(files, sources, squawk_settings(root))
    )
    kept = [
        f
        for f in findings
        if f"{f.rule}:{Path(f.error.source.path if f.error.source else '').name}" not in ignore
    ]
    return sorted(kept, key=lambda f: f.error.location or ("", 0, 0))
