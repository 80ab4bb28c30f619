"""Command line: init, generate, check, describe, verify, vet, drift, migrate.

Every failure is a message and an exit status, never a traceback (set CODEGEN_DEBUG=1
to see one for an internal error). Exit 0: fine; 1: bad input, stale code, findings or
mismatches; 2: an internal error.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from codegen import __version__, manifest, pipeline, scaffold
from codegen import config as cfg
from codegen.cliutil import Command, Extension, Parser, guarded
from codegen.dba import cli as dba_cli
from codegen.errors import CodegenError

# The tools that add commands, outputs, describe keys and vet rules to this command line.
EXTENSIONS: tuple[Extension, ...] = (dba_cli.EXTENSION,)
OUTPUTS = tuple(output for ext in EXTENSIONS for output in ext.outputs)

if TYPE_CHECKING:
    from codegen.dba.routing import Route

# Imports are cheap here on purpose: `check` with an up-to-date manifest loads only the
# config and the manifest (pipeline imports the stages, pglast and jinja2 when it runs).


def _compile(args: argparse.Namespace) -> tuple[cfg.Config, pipeline.Result]:
    config = cfg.load(Path(args.config))
    return config, pipeline.compile_project(config)


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


def write_outputs(files: dict[Path, str], stale: set[Path]) -> None:
    """Each output directory (the package; `docs/` when configured) all or nothing."""
    from codegen import output

    for directory in sorted({p.parent for p in files} | {p.parent for p in stale}):
        output.write_atomically(
            {p: t for p, t in files.items() if p.parent == directory},
            {p for p in stale if p.parent == directory},
        )


def cmd_generate(args: argparse.Namespace) -> int:
    if getattr(args, "watch", False):
        from codegen import watch

        return watch.run(Path(args.config), lambda: guarded(lambda: _generate(args)))
    return _generate(args)


def _generate(args: argparse.Namespace) -> int:
    config, result = _compile(args)
    files = pipeline.render_project(config, result, OUTPUTS)
    stale = manifest.generated_modules(config.package) - set(files)
    changed = [p for p, t in files.items() if not p.exists() or _read(p) != t]
    recorded = manifest.render(config, files)  # what `check` trusts to skip the analysis
    write_outputs({**files, manifest.path(config): recorded}, stale)
    n = sum(len(v) for v in result.files.values())
    print(
        f"generated {len(files)} files for {n} queries in {config.package.relative_to(config.root)}"
        f" ({len(changed)} changed, {len(stale)} removed)"
    )
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    config = cfg.load(Path(args.config))
    current = manifest.current(config)
    if current is not None:
        print(f"generated code is current ({current} files)")
        return 0
    result = pipeline.compile_project(config)
    files = pipeline.render_project(config, result, OUTPUTS)
    stale = manifest.generated_modules(config.package) - set(files)
    diff: list[str] = []
    for path, text in sorted(files.items()):
        rel = path.relative_to(config.root).as_posix()
        old = _read(path)
        if old != text:
            diff.extend(
                difflib.unified_diff(
                    old.splitlines(keepends=True),
                    text.splitlines(keepends=True),
                    fromfile=f"a/{rel}",
                    tofile=f"b/{rel}",
                )
            )
    for path in sorted(stale):
        rel = path.relative_to(config.root).as_posix()
        old = _read(path)
        diff.extend(
            difflib.unified_diff(
                old.splitlines(keepends=True), [], fromfile=f"a/{rel}", tofile="/dev/null"
            )
        )
    if diff:
        sys.stdout.writelines(diff)
        print(
            "\ngenerated code is stale: run `python -m codegen generate` and commit the result",
            file=sys.stderr,
        )
        return 1
    print(f"generated code is current ({len(files)} files)")
    print(f"note: {manifest.NAME} is out of date; `generate` refreshes it", file=sys.stderr)
    return 0


def describe_json(
    result: pipeline.Result, routes: dict[str, Route] | None = None
) -> list[dict[str, object]]:
    """Every query as JSON; with `routes` (the recorded Citus routing), its class too."""
    from codegen.dba.routing import line

    out: list[dict[str, object]] = []
    for analyses in result.files.values():
        for a in analyses:
            q = a.query
            entry: dict[str, object] = {
                "name": q.name,
                "command": q.command,
                "file": q.source.path,
                "line": q.line,
                "sql": q.sql,
                "parameters": [
                    {"name": p.name, "number": p.number, "type": p.type, "nullable": p.nullable}
                    for p in a.params
                ],
                "columns": [
                    {"name": c.name, "type": c.type, "nullable": c.nullable} for c in a.columns
                ],
                "model": a.model,
            }
            for ext in EXTENSIONS:
                entry.update(ext.describe(a, result.catalog) if ext.describe else {})
            if routes is not None:
                entry["citus_routing"] = line(a, routes)
            out.append(entry)
    return out


def cmd_describe(args: argparse.Namespace) -> int:
    from codegen.dba import routing

    config, result = _compile(args)
    path = routing.routing_path(config)
    routes = routing.load(path, config) if path is not None else None
    print(json.dumps(describe_json(result, routes), indent=2))
    return 0


def _dsn(args: argparse.Namespace) -> str:
    dsn: str | None = args.dsn or os.environ.get("DATABASE_URL")
    if not dsn:
        raise CodegenError(f"{args.command} needs --dsn or DATABASE_URL")
    return dsn


def _server(args: argparse.Namespace) -> contextlib.AbstractContextManager[str]:
    """--dsn, else DATABASE_URL, else a throwaway server for the command's duration."""
    from codegen import server

    return server.dsn_or_throwaway(args.dsn or os.environ.get("DATABASE_URL"), args.command)


def _scratch_prefix(args: argparse.Namespace, config: cfg.Config) -> str:
    from codegen import dbutil

    prefix: str = args.scratch_prefix or config.scratch_prefix
    try:
        return dbutil.check_scratch_prefix(prefix)
    except ValueError as exc:
        key = "--scratch-prefix" if args.scratch_prefix else "[tool.codegen] scratch_prefix"
        raise CodegenError(f"{key}: {exc}") from None


def cmd_verify(args: argparse.Namespace) -> int:
    import asyncio

    from codegen import verify

    config, result = _compile(args)
    prefix = _scratch_prefix(args, config)
    with _server(args) as dsn:
        outcome = asyncio.run(verify.verify(config, result, dsn, scratch_prefix=prefix))
    for err in outcome.rejected:
        print(err.render(), file=sys.stderr)
    for m in outcome.mismatches:
        print(f"{m.where}: {m.what}")
    print(outcome.summary())
    if outcome.note:
        print(outcome.note, file=sys.stderr)
    return 0 if outcome.ok else 1


def cmd_drift(args: argparse.Namespace) -> int:
    import asyncio

    from codegen import drift

    dsn = _dsn(args)
    config = cfg.load(Path(args.config))
    prefix = _scratch_prefix(args, config)
    diff = asyncio.run(drift.drift(dsn, config.schema, scratch_prefix=prefix))
    for line in diff:
        print(line)
    if diff:
        print(f"drift: the database differs from {config.schema.name}/ ({len(diff)} line(s))")
        return 1
    print("drift: none, the database matches the migrations")
    return 0


def cmd_vet(args: argparse.Namespace) -> int:
    from codegen import migration_lint, vet

    config, result = _compile(args)
    findings = vet.vet(result, set(config.vet_ignore))
    findings += [f for ext in EXTENSIONS if ext.vet for f in ext.vet(config, result)]
    lint = migration_lint.lint(config.schema, config.root, set(config.vet_ignore))
    for error in [f.error for f in findings] + [f.error for f in lint]:
        print(error.render())
    print(f"vet: {len(findings) + len(lint)} finding(s)")
    return 1 if findings or lint else 0


COMMANDS: dict[str, Command] = {
    "generate": (cmd_generate, "write the generated package"),
    "check": (cmd_check, "exit 1 with a diff if the committed generated code is stale"),
    "describe": (cmd_describe, "print every query's parameters and columns as JSON"),
    "verify": (cmd_verify, "PREPARE every query on a scratch database and compare types"),
    "vet": (cmd_vet, "lint queries and schema for what a DBA would flag"),
    "drift": (cmd_drift, "compare a live database with the schema the migrations produce"),
    **{name: command for ext in EXTENSIONS for name, command in ext.commands.items()},
    "init": (scaffold.cmd_init, scaffold.HELP),
}


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="codegen", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"codegen {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (_, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text)
        if name != "init":  # init writes the config (in --dir)
            p.add_argument("--config", default="pyproject.toml", help="path to pyproject.toml")
        if name in ("verify", "drift"):
            default = (
                "$DATABASE_URL, else a throwaway server" if name == "verify" else "$DATABASE_URL"
            )
            p.add_argument(
                "--dsn", help=f"server to create the scratch database on (default: {default})"
            )
            p.add_argument(
                "--scratch-prefix",
                help="name prefix of the scratch database (default: [tool.codegen] "
                "scratch_prefix, else codegen_scratch_)",
            )
        for ext in EXTENSIONS:
            ext.add_arguments(name, p)
        if name == "generate":
            p.add_argument(
                "--watch",
                action="store_true",
                help="regenerate on every save (needs the watch extra: asyncpg-codegen[watch])",
            )
        if name == "init":
            scaffold.add_arguments(p)
    sub.add_parser(
        "migrate",
        help="apply/rollback/list/mark schema migrations (see migrate -h)",
        add_help=False,
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "migrate":
        # Imported here: psycopg and yoyo cost generate and check a fifth of a second.
        from codegen.migrate import cli as migrate_cli

        return migrate_cli.main(argv[1:])
    args = build_parser().parse_args(argv)
    handler = COMMANDS[args.command][0]
    return guarded(lambda: handler(args))
