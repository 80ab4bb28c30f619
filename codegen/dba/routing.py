"""Each query's routing on Citus, as Citus's own planner judged it, recorded in a committed
file so that `generate`, `describe`, `docs/queries.md` and `vet` need no cluster.

`[tool.codegen] routing = "docs/citus-routing.json"` names the file; `python -m codegen
routing --dsn <coordinator>` refreshes it from `EXPLAIN` on a real Citus coordinator with
the migrations applied (`codegen.dba.citus_planner`). A class per query:

- `router`: one shard on one node; `pinned_by` names the parameters whose value chooses
  the shard (empty: a new key from a column default, chosen on the coordinator);
- `multi-shard`: runs on every shard (Citus's Task Count > 1);
- `reference`: reads or writes reference tables only (a local copy, or every copy in a
  two-phase commit for a write);
- `coordinator`: touches no Citus table (runs on the coordinator alone);
- `refused`: Citus cannot run it (`detail` has its words).

Each entry keeps the sha256 of the SQL it judged: an edited or new query is "not judged"
(in docs and describe) until the file is refreshed. `vet` reports a `multi-shard` or
`refused` query as a finding
(`citus-routing`) unless it is marked `-- vet: ignore distribution` (fan-out intended: the
marker of the static `distribution` rule, which must agree with the planner).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from codegen.analyze import Analysis
from codegen.config import Config
from codegen.errors import CodegenError, shown
from codegen.vet import Finding

CLASSES = ("router", "multi-shard", "reference", "coordinator", "refused")
FANS_OUT = ("multi-shard", "refused")
RULE = "citus-routing"  # its findings' tag
INTENDED = "distribution"  # `-- vet: ignore distribution`: fan-out intended (both rules)


@dataclass(frozen=True)
class Route:
    klass: str
    sql_sha256: str
    pinned_by: list[str] = field(default_factory=list)
    tasks: int = 0
    detail: str = ""

    def describe(self) -> str:
        """`router (pinned by account_id)`, `multi-shard (8 tasks)`, `refused: ...`."""
        if self.klass == "router":
            pins = ", ".join(self.pinned_by)
            return f"router (pinned by {pins})" if pins else "router (a new key: column default)"
        if self.klass == "multi-shard":
            return f"multi-shard ({self.tasks} tasks)"
        if self.klass == "refused":
            return f"refused: {self.detail}"
        return self.klass


def sql_sha256(a: Analysis) -> str:
    return hashlib.sha256(a.sql.encode()).hexdigest()


def routing_path(config: Config) -> Path | None:
    from codegen.dba import settings

    return settings.load(config).routing


def load(path: Path | None, config: Config) -> dict[str, Route]:
    """The recorded routes by query name ({} when none are configured or recorded yet)."""
    if path is None or not path.exists():
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return {name: Route(**entry) for name, entry in raw["queries"].items()}
    except (ValueError, KeyError, TypeError) as exc:
        where = shown(path, config.root)
        raise CodegenError(
            f"{where}: not a routing file ({exc}); refresh: codegen routing"
        ) from None


def dump(routes: dict[str, Route], cluster: str) -> str:
    body = {"cluster": cluster, "queries": {n: asdict(r) for n, r in sorted(routes.items())}}
    return json.dumps(body, indent=1, sort_keys=True) + "\n"


def current(a: Analysis, routes: dict[str, Route]) -> Route | None:
    """The query's recorded route, if it judged this very SQL."""
    route = routes.get(a.query.name)
    return route if route is not None and route.sql_sha256 == sql_sha256(a) else None


def line(a: Analysis, routes: dict[str, Route]) -> str:
    """One line for docs and describe."""
    route = current(a, routes)
    return route.describe() if route else "not judged (refresh: codegen routing)"


def vet_findings(config: Config, files: dict[str, list[Analysis]]) -> list[Finding]:
    """Queries Citus's planner found fanning out (or refusing), unless marked intended. A
    query the file has not judged in its current form is shown as such by docs and
    describe, not reported here: vet needs no cluster (tests/test_citus_routing.py keeps
    the file current where Citus is installed)."""
    path = routing_path(config)
    if path is None:
        return []
    routes = load(path, config)
    out = []
    for analyses in files.values():
        for a in analyses:
            route = current(a, routes)
            if INTENDED in a.query.vet_ignore or RULE in a.query.vet_ignore or route is None:
                continue
            if route.klass in FANS_OUT:
                msg = (
                    f"Citus's planner says {route.describe()} [{RULE}]"
                    f" (intended? silence: -- vet: ignore {INTENDED})"
                )
                out.append(Finding(RULE, a.query.error(msg)))
    return out
