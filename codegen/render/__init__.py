"""Stage 4 — render: turn analysed queries and the catalog into Python modules (Jinja2).

The output is a package: `models.py` (one model per table and view, one StrEnum per enum,
the only place a table's shape is written in Python), `runtime.py` (executor type, JSON and
enum codecs, pool helpers) and one module per queries file. Rendering is pure: the same
input gives byte-identical output, which is what `check` relies on.

Rows are by default asyncpg Records that the driver builds itself (`record_class=`), with
typed read-only properties and a `make(...)` for rows built in Python (`rows`): measured
against NamedTuples and frozen dataclasses (README, "Row representation") they are the
only representation whose `:many` costs nothing over raw asyncpg. `[tool.codegen] rows`
picks dataclasses, pydantic models or msgspec Structs instead, built from the Records.

Modules: `queries` and `models` (what the templates read), `pytypes` (PostgreSQL types as
annotations), `imports` (the import block), `layout` (ruff-shaped lines). Every Python name
comes from `codegen.naming`; each command's function is a macro in `templates/_commands.j2`.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import jinja2

from codegen import catalog as cat
from codegen import manifest, naming, style
from codegen.analyze import Analysis
from codegen.config import Config
from codegen.errors import CodegenError
from codegen.render import contract, layout
from codegen.render.layout import body, call, fits, from_import
from codegen.render.models import render_models
from codegen.render.pytypes import TypeMapper
from codegen.render.queries import render_queries

HEADER = manifest.HEADER


_TEMPLATE_CACHE = Path(__file__).resolve().parent.parent / "templates" / "__pycache__"


class _TemplateCache(jinja2.FileSystemBytecodeCache):
    """Compiled templates kept between runs (compiling them was a fifth of a cold
    `generate`); keyed by Jinja on each template's source checksum and the Python version.
    An unwritable directory only means compiling again."""

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def _template_cache() -> jinja2.BytecodeCache | None:
    try:
        _TEMPLATE_CACHE.mkdir(exist_ok=True)
    except OSError:
        return None
    return _TemplateCache(str(_TEMPLATE_CACHE))


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("codegen", "templates"),
        bytecode_cache=_template_cache(),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )
    env.globals.update(call=call, fits=fits, body=body)
    return env


def render_package(
    catalog: cat.Catalog, files: dict[str, list[Analysis]], config: Config
) -> dict[Path, str]:
    """Every file of the output package, path -> text, formatted for the line length
    ruff will check it with."""
    with layout.width(style.line_length(config.package)):
        return _render_package(catalog, files, config)


def _render_package(
    catalog: cat.Catalog, files: dict[str, list[Analysis]], config: Config
) -> dict[Path, str]:
    env = _env()
    mapper = TypeMapper(catalog, config)
    modules: dict[str, str] = {}
    for path in sorted(files):
        module = naming.module_name(path)
        if module in modules:
            raise CodegenError(
                f"{modules[module]} and {path} would both become {module}.py; rename one"
            )
        modules[module] = path
    pkg = config.package
    out: dict[Path, str] = {}
    submodules = sorted([*modules, "models", "runtime"])
    out[pkg / "__init__.py"] = env.get_template("init.py.j2").render(
        header=HEADER, modules=submodules, import_line=from_import(".", submodules)
    )
    out[pkg / "models.py"] = render_models(env, catalog, mapper, config, HEADER)
    out[pkg / "runtime.py"] = env.get_template("runtime.py.j2").render(
        header=HEADER,
        enums=[
            (*_schema_and_name(e.name), naming.enum_class(e.name))
            for e in sorted(catalog.enums.values(), key=lambda e: e.name)
        ],
        hstore="hstore" in catalog.extensions,
        vector="vector" in catalog.extensions and config.vectors,
        tables=_expected_tables(catalog),
        rows=config.rows,
        generated_by=contract.generated_by(),
        asyncpg_range=(contract.ASYNCPG_FROM, contract.ASYNCPG_BELOW),
    )
    for module, path in modules.items():
        out[pkg / f"{module}.py"] = render_queries(env, path, files[path], mapper, config, HEADER)
    return out


def _schema_and_name(key: str) -> tuple[str, str]:
    """A catalog key as (schema, name): `app.mood` -> ("app", "mood"), `mood` in public."""
    schema, _, name = key.rpartition(".")
    return schema or "public", name


def _expected_tables(catalog: cat.Catalog) -> list[tuple[str, str, list[tuple[str, str, bool]]]]:
    """(schema, name, [(column, type, NOT NULL)]) of every relation, for the runtime's
    start-up schema check; a view's columns are never NOT NULL in the server's catalog."""
    out = []
    for key, table in sorted(catalog.tables.items()):
        cols = [(c.name, c.type, c.not_null and not table.is_view) for c in table.columns]
        out.append((*_schema_and_name(key), cols))
    return out
