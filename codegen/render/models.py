"""models.py: one row class per table and view (render.rows), one StrEnum per enum."""

from __future__ import annotations

from dataclasses import dataclass

import jinja2

from codegen import catalog as cat
from codegen import naming
from codegen.config import Config
from codegen.errors import CodegenError
from codegen.render.imports import Imports
from codegen.render.pytypes import TypeMapper
from codegen.render.rows import Field, RowClass, row_class


@dataclass(frozen=True)
class EnumClass:
    name: str
    db: str
    members: list[tuple[str, str]]  # (member, value)


def render_models(
    env: jinja2.Environment, catalog: cat.Catalog, mapper: TypeMapper, config: Config, header: str
) -> str:
    imports = Imports()
    models: list[RowClass] = []
    for table in sorted(catalog.tables.values(), key=lambda t: t.name):
        fields = [
            Field(
                naming.field_name(c.name),
                mapper.py(c.type, not c.not_null, imports, f"{table.name}.{c.name}"),
            )
            for c in table.columns
        ]
        kind = "view" if table.is_view else "table"
        name = naming.class_name(table.name, config.rename)
        doc = f"A row of {kind} {table.name}."
        models.append(row_class(name, doc, fields, imports, config.rows))
    enums = [
        EnumClass(
            naming.enum_class(e.name),
            e.name,
            list(zip(naming.enum_members(e.values), e.values, strict=True)),
        )
        for e in sorted(catalog.enums.values(), key=lambda e: e.name)
    ]
    if enums:
        imports.module("enum")
    names = [m.name for m in models]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise CodegenError(
            f"two tables map to the model name {sorted(dup)[0]}; set [tool.codegen.rename]"
        )
    return env.get_template("models.py.j2").render(
        header=header, imports=imports.sections(local_models=True), models=models, enums=enums
    )
