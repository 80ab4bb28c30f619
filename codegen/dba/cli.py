"""The DBA tools as `codegen` registers them (`EXTENSION`): the commands `explain` and
`stats`, the review catalog `generate` writes, the tables and locks `describe` shows and
the `distribution` rule of `vet`.

Errors follow the house rules: bad input (an unknown table in `--rows`, no DSN, a server
without `pg_stat_statements`) is one `error:` line and exit 1; nothing is written.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from codegen import config as cfg
from codegen import pipeline
from codegen.cliutil import Extension
from codegen.errors import CodegenError

if TYPE_CHECKING:
    import asyncpg

    from codegen.analyze import Analysis
    from codegen.catalog import Catalog
    from codegen.vet import Finding

# Imported by `codegen.cli`: asyncpg, psycopg and yoyo are imported only when a DBA
# command runs, so they cost generate and check nothing.
DEFAULT_LARGE = 10_000  # rows: a table, sort or filter this big is "large"


def review_catalog(config: cfg.Config, result: pipeline.Result) -> dict[Path, str]:
    """The review catalog (docs/queries.md, docs/schema.md) when `docs` is configured."""
    from codegen.dba import docs

    return docs.render_docs(config, result.catalog, result.files)


OUTPUTS: tuple[pipeline.Output, ...] = (review_catalog,)  # what `generate` also writes


def _dsn(args: argparse.Namespace, command: str) -> str:
    dsn: str | None = args.dsn or os.environ.get("DATABASE_URL")
    if not dsn:
        raise CodegenError(f"{command} needs --dsn or DATABASE_URL")
    return dsn


def parse_rows(specs: list[str], tables: set[str]) -> dict[str, int]:
    """`--rows table=N ...` -> {table: N}; an unknown table or a bad N is an error."""
    sizes: dict[str, int] = {}
    for spec in specs:
        table, sep, count = spec.partition("=")
        if not sep or not count.strip().isdigit():
            raise CodegenError(f"--rows {spec}: expected table=N with N a whole number >= 0")
        if table not in tables:
            known = ", ".join(sorted(tables))
            raise CodegenError(f"--rows {spec}: no table {table!r} in the schema (tables: {known})")
        sizes[table] = int(count)
    return sizes


async def _explain(
    config: cfg.Config, result: pipeline.Result, dsn: str, args: argparse.Namespace
) -> int:
    import asyncio

    import asyncpg

    from codegen import dbutil, migrate
    from codegen.dba import datagen

    rows = parse_rows(args.rows or [], set(result.catalog.tables))
    async with dbutil.scratch_database(dsn, prefix=config.scratch_prefix) as target:
        await asyncio.to_thread(migrate.apply, target, config.schema)
        conn = await asyncpg.connect(target)
        try:
            if args.what_if:
                await _what_if(conn, Path(args.what_if), config.root)
            tables = await datagen.read_tables(conn)
            sizes, notes = datagen.fit(tables, {**datagen.default_rows(tables), **rows})
            for note in notes:
                print(f"explain: {note}")
            started = time.monotonic()
            await datagen.fill(conn, tables, sizes)
            filled = ", ".join(f"{t} {n:,}" for t, n in sorted(sizes.items()))
            print(f"explain: filled {filled} in {time.monotonic() - started:.1f} s")
            return await _report(conn, result, sizes, args)
        finally:
            await conn.close()


async def _what_if(conn: asyncpg.Connection[asyncpg.Record], path: Path, root: Path) -> None:
    """Run DDL (an index under review) after the migrations; its errors are bad input."""
    import asyncpg
    from pglast.parser import ParseError, split

    from codegen.errors import SourceText, parse_error_offset, shown

    text = path.read_text(encoding="utf-8")
    source = SourceText(shown(path, root), text)
    try:
        statements = split(text, only_slices=True)
    except ParseError as exc:
        raise CodegenError(
            f"--what-if: {exc}", source, parse_error_offset(exc, len(text))
        ) from None
    for part in statements:
        try:
            await conn.execute(text[part])
        except asyncpg.PostgresError as exc:  # the error's position, else the statement's
            offset = part.start + int(getattr(exc, "position", None) or 1) - 1
            raise CodegenError(f"--what-if: {exc}", source, offset) from None


async def _report(
    conn: asyncpg.Connection[asyncpg.Record],
    result: pipeline.Result,
    sizes: dict[str, int],
    args: argparse.Namespace,
) -> int:
    from codegen.dba import explain

    total = 0
    for analyses in result.files.values():
        for a in analyses:
            for plan in await explain.plans(conn, a, result.catalog):
                if plan.root is None:
                    total += 1
                    print(
                        a.query.error(f"[{plan.mode} plan] cannot explain: {plan.error}").render()
                    )
                    continue
                found = [
                    f
                    for f in explain.findings(plan.root, sizes, args.large)
                    if f.rule not in a.query.vet_ignore
                ]
                total += len(found)
                for f in found:
                    msg = (
                        f"[{plan.mode} plan] {f.text} [{f.rule}] (silence: -- vet: ignore {f.rule})"
                    )
                    print(a.query.error(msg).render())
                if found or args.plans:
                    note = "" if plan.analyzed else f" (planned only: {plan.error})"
                    print(f"    {a.query.name} [{plan.mode} plan]{note}:")
                    print("\n".join("      " + line for line in explain.render_plan(plan.root)))
    n = sum(len(v) for v in result.files.values())
    print(f"explain: {n} queries, custom and generic plans: {total} finding(s)")
    return 1 if total else 0


def cmd_explain(args: argparse.Namespace) -> int:
    import asyncio

    from codegen import server

    config = cfg.load(Path(args.config))
    result = pipeline.compile_project(config)
    parse_rows(args.rows or [], set(result.catalog.tables))  # bad input before any database work
    dsn = args.dsn or os.environ.get("DATABASE_URL")  # else a throwaway server
    with server.dsn_or_throwaway(dsn, "explain") as dsn:
        return asyncio.run(_explain(config, result, dsn, args))


def cmd_stats(args: argparse.Namespace) -> int:
    import asyncio

    from codegen.dba import stats

    dsn = _dsn(args, "stats")
    config = cfg.load(Path(args.config))
    result = pipeline.compile_project(config)
    if args.limit < 1:
        raise CodegenError(f"--limit {args.limit}: must be at least 1")
    rows = asyncio.run(stats.fetch(dsn, result))
    print(stats.render(rows, args.limit))
    return 0


def cmd_routing(args: argparse.Namespace) -> int:
    """Judge every query with Citus's planner on a coordinator; write the routing file."""
    import asyncio

    from codegen import dbutil
    from codegen.dba import citus_planner, routing

    dsn = _dsn(args, "routing")
    config = cfg.load(Path(args.config))
    path = routing.routing_path(config)
    if path is None:
        raise CodegenError('routing: set [tool.codegen] routing = "docs/citus-routing.json"')
    result = pipeline.compile_project(config)
    routes = asyncio.run(citus_planner.judge_all(dsn, result.files, result.catalog))
    path.write_text(routing.dump(routes, "Citus coordinator"), encoding="utf-8")
    counts = {k: sum(r.klass == k for r in routes.values()) for k in routing.CLASSES}
    summary = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
    print(f"routing: {len(routes)} queries judged on {dbutil.server_of(dsn)}: {summary}")
    return 0


COMMANDS: dict[str, tuple[Callable[[argparse.Namespace], int], str]] = {
    "explain": (cmd_explain, "plans of every query on generated data: seq scans, sorts, filters"),
    "stats": (cmd_stats, "pg_stat_statements by query name and source line"),
    "routing": (cmd_routing, "every query's routing by Citus's planner, into the routing file"),
}


def add_arguments(name: str, parser: argparse.ArgumentParser) -> None:
    """The options of the DBA commands (nothing for the others)."""
    if name not in COMMANDS:
        return
    default = "a throwaway server" if name == "explain" else "none"
    parser.add_argument("--dsn", help=f"server to use (default: $DATABASE_URL, else {default})")
    if name == "explain":
        parser.add_argument(
            "--rows",
            nargs="*",
            metavar="TABLE=N",
            help="rows to generate per table (default: 100, x10 per level of NOT NULL"
            " foreign keys, at most 200,000 and what the table's keys can hold)",
        )
        parser.add_argument(
            "--large",
            type=int,
            default=DEFAULT_LARGE,
            help="a table or sort of this many rows is large; an index scan discarding"
            " a tenth of it by filter is reported (default: %(default)s)",
        )
        parser.add_argument("--plans", action="store_true", help="print every plan")
        parser.add_argument(
            "--what-if", metavar="FILE", help="SQL to run after the migrations (an index to try)"
        )
    if name == "stats":
        parser.add_argument("--limit", type=int, default=50, help="rows to show")


def describe_keys(analysis: Analysis, catalog: Catalog) -> dict[str, object]:
    """`describe`'s reads, writes and locks of a query."""
    from codegen.dba import relations

    return relations.describe_keys(analysis, catalog)


def vet_findings(config: cfg.Config, result: pipeline.Result) -> list[Finding]:
    """The `distribution` rule, when `[tool.codegen] distribution` names tables, and Citus's
    planner's verdicts, when `[tool.codegen] routing` names the recorded file."""
    from codegen.dba import distribution, routing

    return distribution.vet_findings(config, result) + routing.vet_findings(config, result.files)


EXTENSION = Extension(COMMANDS, add_arguments, OUTPUTS, describe_keys, vet_findings)
