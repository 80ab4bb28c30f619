"""`vet`'s squawk settings: no nag about `integer` columns unless the project asks for it,
the project's own `.squawk.toml` honoured, inline `-- squawk-ignore` comments working as the
README says. squawk itself judges each file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.test_verify import migration_lint_project, vet

MIGRATION = """\
-- depends: 0001_init
CREATE TABLE counters (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hits integer NOT NULL,
    small smallint NOT NULL,
    label varchar(40) NOT NULL
);
"""


def _project(tmp_path: Path, migration: str = MIGRATION) -> Path:
    config = migration_lint_project(tmp_path)
    added = tmp_path / "schema" / "0002_counters.sql"
    added.write_text(migration)
    added.with_name("0002_counters.rollback.sql").write_text("DROP TABLE counters;\n")
    return config


def _rules(out: list[str]) -> list[str]:
    return sorted(line.split(" [")[1].split("]")[0] for line in out if ": error: " in line)


def test_integer_columns_are_not_flagged_by_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = vet(_project(tmp_path), capsys)
    assert _rules(out) == ["prefer-text-field"], out
    assert code == 1


def test_the_project_s_squawk_toml_is_honoured(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`excluded_rules` silences a rule, `included_rules` turns the integer nags back on."""
    config = _project(tmp_path)
    squawk_toml = tmp_path / ".squawk.toml"
    squawk_toml.write_text('excluded_rules = ["prefer-text-field"]\n')
    assert vet(config, capsys) == (0, ["vet: 0 finding(s)"])
    squawk_toml.write_text(
        'excluded_rules = ["prefer-text-field"]\n'
        'included_rules = ["prefer-bigint-over-int", "prefer-bigint-over-smallint"]\n'
    )
    code, out = vet(config, capsys)
    assert (code, _rules(out)) == (1, ["prefer-bigint-over-int", "prefer-bigint-over-smallint"])


def test_inline_squawk_ignore_silences_the_statement_and_is_documented(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`-- squawk-ignore rule` silences the line below it, `-- squawk-ignore-file rule`
    the whole file."""
    label = "    label varchar(40) NOT NULL"
    ignored = MIGRATION.replace(label, "    -- squawk-ignore prefer-text-field\n" + label)
    assert vet(_project(tmp_path, ignored), capsys) == (0, ["vet: 0 finding(s)"])
    whole = MIGRATION + "ALTER TABLE counters ADD COLUMN note varchar(10);\n"
    assert _rules(vet(_project(tmp_path / "p2", whole), capsys)[1]) == ["prefer-text-field"] * 2
    whole = "-- squawk-ignore-file prefer-text-field\n" + whole
    assert vet(_project(tmp_path / "p3", whole), capsys) == (0, ["vet: 0 finding(s)"])
    vet_section = (ROOT / "README.md").read_text().split("python -m codegen vet`")[1]
    assert "-- squawk-ignore" in vet_section.split("\n| `python -m codegen")[0]
    assert ".squawk.toml" in vet_section.split("\n| `python -m codegen")[0]
