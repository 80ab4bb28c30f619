"""`python -m mutation [TARGET ...]`: mutmut over each target, one target at a time.

Each target is one module (or package) and the test files that exercise it (the per-module
map below); within that map mutmut's own per-function coverage picks the tests each mutant
runs. Every run gets a throwaway PostgreSQL cluster (tests/pgcluster.py) shared by its
mutants, so roles never collide with another run. Survivors not listed in
`mutation/equivalent.toml` (mutant name -> one-line reason) are printed with their diff;
the exit status is 1 when they exceed 5% of a target's mutants.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "mutation"
BUDGET = 0.05  # surviving, non-equivalent mutants per target


@dataclass(frozen=True)
class Target:
    files: tuple[str, ...]  # what is mutated (globs, relative to the project)
    tests: tuple[str, ...]  # the test files that exercise it


TARGETS: dict[str, Target] = {
    "validate": Target(
        ("src/chatdb/validate.py",),
        ("tests/test_input_limits.py", "tests/test_hardening.py"),
    ),
    "tx": Target(
        ("src/chatdb/tx.py", "src/chatdb/bounds.py", "src/chatdb/deadlines.py"),
        (
            "tests/test_transaction_runner.py",
            "tests/test_bounds_as_shown.py",
            "tests/test_round_trips.py",
            "tests/test_timeouts.py",
            "tests/test_send_killed_anywhere.py",
            "tests/test_pooler_statement_writes.py",
            "tests/test_outcome_in_doubt.py",
            "tests/test_deadlines.py",
        ),
    ),
    "deadlines": Target(
        ("src/chatdb/deadlines.py",),
        ("tests/test_deadlines.py", "tests/test_timeouts.py"),
    ),
    "service": Target(
        ("src/chatdb/service.py", "src/chatdb/sending.py"),
        ("tests/test_service_contract.py", "tests/test_service.py", "tests/test_hardening.py"),
    ),
    "admin": Target(
        ("src/chatdb/admin.py", "src/chatdb/database.py"),  # database.py: its transactions
        (
            "tests/test_admin_service.py",
            "tests/test_service_contract.py",
            "tests/test_service.py",
            "tests/test_hardening.py",
        ),
    ),
    "migrate": Target(
        (
            "codegen/migrate/runner.py",
            "codegen/migrate/backend.py",
            "codegen/migrate/source.py",
            "codegen/migrate/checksums.py",
        ),
        (
            "tests/test_migrate_library.py",
            "tests/test_migrate_connections.py",
            "tests/test_migrate.py",
            "tests/test_schema_changes.py",
        ),
    ),
    "nullability": Target(
        ("codegen/analyze/nullability.py",),
        (
            "tests/test_nullability_rules.py",
            "tests/test_analyze.py",
            "tests/test_analyze_shapes.py",
        ),
    ),
}


def mutmut_config(target: Target) -> dict[str, Any]:
    """What mutmut would read from [tool.mutmut]; kept here so pyproject stays the project's."""
    return {
        "source_paths": ["src/chatdb", "codegen"],
        "only_mutate": list(target.files),
        "also_copy": ["schema", "queries", "schema_roles", "examples", "docs", "README.md"],
        "pytest_add_cli_args_test_selection": [t for t in target.tests if (ROOT / t).exists()],
        "pytest_add_cli_args": ["-p", "no:cacheprovider", "-q"],
        "use_git_change_detection": False,
        # mutmut's estimate counts only the tests' call phase, not their fixtures (a fresh
        # database and pool per service test): a constant that lets a surviving mutant
        # run every selected test, or it is wrongly reported as a timeout (counted killed).
        "timeout_multiplier": 2.0,
        "timeout_constant": 60.0,
    }


TEMPLATE = "tmpl_mutation"
_BUILD_TEMPLATE = f"""
import sys
from codegen import dbutil, migrate
dbutil.sync_execute(sys.argv[1], 'CREATE DATABASE "{TEMPLATE}"')
migrate.apply(dbutil.dsn_with_database(sys.argv[1], "{TEMPLATE}"), "schema")
"""


def build_template(dsn: str) -> str:
    """The tests' migrated template database (fixture `migrated_template`), built once per
    target instead of once per mutant, by the unmutated code in a process of its own: this
    process must not import the modules mutmut mutates before its children do."""
    subprocess.run([sys.executable, "-c", _BUILD_TEMPLATE, dsn], cwd=ROOT, check=True)
    return TEMPLATE


def run_target(name: str, target: Target, jobs: int) -> dict[str, str]:
    """Run mutmut for one target in a fresh mutants/ directory; mutant name -> status."""
    import mutmut.configuration as mc
    from mutmut.__main__ import cli
    from mutmut.mutation.data import SourceFileMutationData
    from mutmut.stats import status_by_exit_code
    from mutmut.utils.file_utils import walk_mutatable_files

    from tests import pgcluster

    conf = mutmut_config(target)
    mc._config_reader = lambda: lambda key, default: conf.get(key, default)
    mc.reset_config()
    shutil.rmtree(ROOT / "mutants", ignore_errors=True)
    cluster = pgcluster.start_cluster()
    os.environ["DATABASE_URL"] = cluster.dsn
    try:
        os.environ["CHATDB_TEST_TEMPLATE"] = build_template(cluster.dsn)
        with contextlib.redirect_stdout(io.StringIO()):
            cli(["run", "--max-children", str(jobs)], standalone_mode=False)
        statuses: dict[str, str] = {}
        for path in walk_mutatable_files():
            data = SourceFileMutationData(path=path)
            data.load()
            statuses |= {k: status_by_exit_code[v] for k, v in data.exit_code_by_key.items()}
        return statuses
    finally:
        os.environ.pop("DATABASE_URL", None)
        os.environ.pop("CHATDB_TEST_TEMPLATE", None)
        cluster.remove()


def diff_of(mutant: str) -> str:
    from mutmut.mutation.diff_apply import find_mutant, get_diff_for_mutant

    return str(get_diff_for_mutant(mutant, path=find_mutant(mutant).path))


def equivalents() -> dict[str, str]:
    path = HERE / "equivalent.toml"
    return dict(tomllib.loads(path.read_text())["equivalent"]) if path.exists() else {}


def report(name: str, statuses: dict[str, str], seconds: float, out: io.TextIOBase) -> bool:
    """Write the target's counts and every non-equivalent survivor; True if within budget."""
    equiv = equivalents()
    killed = sum(s in ("killed", "timeout", "caught by type check") for s in statuses.values())
    alive = sorted(m for m, s in statuses.items() if s not in ("killed", "timeout"))
    eq = [m for m in alive if m in equiv]
    surviving = [m for m in alive if m not in equiv]
    share = len(surviving) / max(len(statuses), 1)
    print(
        f"## {name}: {len(statuses)} mutants, {killed} killed, {len(eq)} equivalent, "
        f"{len(surviving)} surviving ({share:.1%}), {seconds:.0f} s",
        file=out,
    )
    for m in surviving:
        print(f"\n### {m} ({statuses[m]})\n```diff\n{diff_of(m).strip()}\n```", file=out)
    return share <= BUDGET


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mutation", description=__doc__)
    parser.add_argument("targets", nargs="*", choices=[[], *TARGETS], default=[])
    parser.add_argument("-j", "--jobs", type=int, default=2, help="mutants run at once")
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    (HERE / "results").mkdir(exist_ok=True)
    names = args.targets or list(TARGETS)
    if len(names) > 1:  # mutmut keeps state per process: one process per target
        cmd = [sys.executable, "-m", "mutation", "-j", str(args.jobs)]
        codes = [subprocess.run([*cmd, name], check=False).returncode for name in names]
        return max(codes)
    ok = True
    for name in names:
        start = time.monotonic()
        statuses = run_target(name, TARGETS[name], args.jobs)
        with (HERE / "results" / f"{name}.md").open("w") as out:
            ok &= report(name, statuses, time.monotonic() - start, out)
        print((HERE / "results" / f"{name}.md").read_text().splitlines()[0], flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
