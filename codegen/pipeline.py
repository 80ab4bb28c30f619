"""The stages wired together: files in, analysed queries and rendered files out.

The stages are imported when first used, not with this module: `check` imports it and,
when the manifest shows nothing changed, never needs pglast, jinja2 or the function catalog.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from codegen.config import Config
from codegen.errors import CodegenError, CodegenErrors, shown

if TYPE_CHECKING:
    from codegen import analyze, catalog, parse


@dataclass(frozen=True)
class Result:
    catalog: catalog.Catalog
    files: dict[str, list[analyze.Analysis]]  # queries file (relative path) -> its queries


def _rel(path: Path, config: Config) -> str:
    return shown(path, config.root)


def read_source(path: Path, config: Config, encoding: str = "utf-8") -> str:
    """A schema or queries file as text: UTF-8 whatever the locale, or a clear error."""
    try:
        return path.read_text(encoding=encoding)
    except UnicodeDecodeError as exc:
        raise CodegenError(
            f"{_rel(path, config)}: not UTF-8 text (byte {exc.start}: {exc.reason})"
        ) from None


def _existing(paths: tuple[Path, ...], what: str, config: Config) -> tuple[Path, ...]:
    """`paths`, or an error naming the first that does not exist (relative to the project)."""
    for path in paths:
        if not path.exists():
            kind = f"{what} directory" if len(paths) == 1 else what
            raise CodegenError(f"{kind} {_rel(path, config)} does not exist")
    return paths


def schema_files(config: Config) -> list[Path]:
    """The schema's files in apply order (files and folders, as configured)."""
    from codegen import catalog

    return catalog.sql_files(_existing(config.schema_paths, "schema", config), "schema")


def load_catalog(config: Config) -> catalog.Catalog:
    from codegen import analyze, catalog

    files = [(_rel(p, config), read_source(p, config)) for p in schema_files(config)]
    return catalog.build(files, analyze.view_columns, config.search_path, config.postgresql)


def query_files(config: Config) -> list[Path]:
    from codegen import catalog

    return catalog.sql_files(_existing(config.query_paths, "queries", config), "queries")


def compile_project(config: Config) -> Result:
    """Parse and analyse every query; collect all errors before giving up."""
    from codegen import analyze, catalog, parse

    cat = load_catalog(config)
    errors: list[CodegenError] = []
    files: dict[str, list[analyze.Analysis]] = {}
    seen: dict[str, parse.Query] = {}
    for path in query_files(config):
        rel = _rel(path, config)
        try:
            # utf-8-sig: a byte-order mark some editors write is not part of any query.
            # (Migrations keep theirs: yoyo would send it to the server, which rejects it.)
            text = catalog.forward_sql(read_source(path, config, "utf-8-sig"))
            queries = parse.parse_file(rel, text)
        except CodegenError as err:
            errors.append(err)
            continue
        analysed = []
        for q in queries:
            first = seen.get(q.name)
            if first is not None:
                errors.append(
                    q.error(f"query name used twice (first at {first.source.path}:{first.line})")
                )
                continue
            seen[q.name] = q
            try:
                analysed.append(analyze.analyze(q, cat))
            except CodegenError as err:
                errors.append(err)
        files[rel] = analysed
    if errors:
        raise CodegenErrors(errors)
    return Result(cat, files)


# A further output of a project: `{path: text}` from its config and compiled result (a
# tool's, such as the review catalog); the command line says which it writes.
Output = Callable[[Config, Result], dict[Path, str]]


def render_project(
    config: Config, result: Result, outputs: Iterable[Output] = ()
) -> dict[Path, str]:
    """The generated package's files, then those of each further output."""
    from codegen import render

    files = render.render_package(result.catalog, result.files, config)
    for output in outputs:
        files.update(output(config, result))
    return files
