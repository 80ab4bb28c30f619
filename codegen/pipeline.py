"""The stages wired together: files in, analysed queries and rendered files out."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from codegen import analyze, catalog, parse, render
from codegen.config import Config
from codegen.errors import CodegenError, CodegenErrors


@dataclass(frozen=True)
class Result:
    catalog: catalog.Catalog
    files: dict[str, list[analyze.Analysis]]  # queries file (relative path) -> its queries


def _rel(path: Path, config: Config) -> str:
    try:
        return path.resolve().relative_to(config.root).as_posix()
    except ValueError:
        return path.as_posix()


def load_catalog(config: Config) -> catalog.Catalog:
    if not config.schema.is_dir():
        raise CodegenError(f"schema directory {config.schema} does not exist")
    files = [(_rel(p, config), p.read_text()) for p in catalog.migration_files(config.schema)]
    return catalog.build(files, analyze.view_columns)


def compile_project(config: Config) -> Result:
    """Parse and analyse every query; collect all errors before giving up."""
    cat = load_catalog(config)
    if not config.queries.is_dir():
        raise CodegenError(f"queries directory {config.queries} does not exist")
    errors: list[CodegenError] = []
    files: dict[str, list[analyze.Analysis]] = {}
    seen: dict[str, parse.Query] = {}
    for path in sorted(config.queries.glob("*.sql")):
        rel = _rel(path, config)
        try:
            queries = parse.parse_file(rel, path.read_text())
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


def render_project(config: Config, result: Result) -> dict[Path, str]:
    return render.render_package(result.catalog, result.files, config)
