"""`vet`: the checks a DBA would ask for before a query reaches production.

Each finding names a rule. Silence a rule for one query with a comment next to its
header (`-- vet: ignore no-where`), or for a schema finding in `[tool.codegen] vet_ignore`
(e.g. `"fk-index:chats.model_config_id"`).
"""

from __future__ import annotations

from dataclasses import dataclass

from codegen.catalog import Catalog
from codegen.errors import CodegenError
from codegen.pipeline import Result

RULES = {
    "no-where": "UPDATE or DELETE without WHERE changes every row",
    "fk-index": "foreign key column without an index: deletes on the parent scan this table",
    "limit-no-order": "LIMIT without ORDER BY returns an arbitrary subset",
}
# the statements `no-where` checks, and the verb its message names
_WRITES = {"update": "UPDATE", "delete": "DELETE"}


@dataclass(frozen=True)
class Finding:
    rule: str
    error: CodegenError


def _query_findings(result: Result) -> list[Finding]:
    out = []
    for analyses in result.files.values():
        for a in analyses:
            q = a.query
            clauses = a.uses.clauses
            found: list[tuple[str, str]] = []
            verb = _WRITES.get(a.statement)
            if verb is not None and "where" not in clauses:
                found.append(("no-where", f"{verb} without WHERE"))
            if "limit" in clauses and "order by" not in clauses:
                found.append(("limit-no-order", "LIMIT without ORDER BY"))
            for rule, text in found:
                if rule in q.vet_ignore:
                    continue
                out.append(
                    Finding(rule, q.error(f"{text} [{rule}] (silence: -- vet: ignore {rule})"))
                )
    return out


def _fk_findings(catalog: Catalog, ignore: set[str]) -> list[Finding]:
    out = []
    for table in sorted(catalog.tables.values(), key=lambda t: t.name):
        leading = {i.columns for i in catalog.indexes if i.table == table.name and not i.partial}
        for fk in table.foreign_keys:
            covered = any(idx[: len(fk.columns)] == fk.columns for idx in leading)
            key = f"fk-index:{table.name}.{','.join(fk.columns)}"
            if covered or key in ignore:
                continue
            msg = (
                f"foreign key {table.name}({', '.join(fk.columns)}) -> {fk.ref_table} has no index "
                f'starting with its column(s) [fk-index] (silence: vet_ignore = ["{key}"])'
            )
            out.append(Finding("fk-index", CodegenError(msg, fk.source, fk.offset)))
    return out


def vet(result: Result, ignore: set[str]) -> list[Finding]:
    return _query_findings(result) + _fk_findings(result.catalog, ignore)
