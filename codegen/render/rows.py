"""Row classes: the one shape every result row takes (models.py and `<Query>Row`).

With `rows = "record"` (the default) a row is a `runtime.Row` whose `Record` subclass the
driver builds in C when a query passes it as `record_class`: no per-row Python work, so
`:many` runs at raw asyncpg speed. The class declares its columns as typed read-only
properties for mypy (an `if TYPE_CHECKING:` block) and as `column(i)` accessors at run
time, and has a typed `make(...)` for rows built in Python (sqlc.embed, tests). With
"dataclass", "pydantic" or "msgspec" it is a frozen dataclass, a frozen pydantic model or
a frozen msgspec Struct, built from the fetched Record (`construct`). See README, "Row
representation".
"""

from __future__ import annotations

from dataclasses import dataclass

from codegen import naming
from codegen.render.imports import Imports
from codegen.render.layout import call, too_long

_CLASS_BODY = "    "


@dataclass(frozen=True)
class Field:
    name: str
    annotation: str
    default: str | None = None  # a parameter's default in the signature (`sqlc.narg`: None)

    @property
    def declaration(self) -> str:
        """`    name: Annotation`, a field in a class body."""
        return f"{_CLASS_BODY}{self.name}: {self.annotation}"


@dataclass(frozen=True)
class RowClass:
    """What `_rows.j2` reads for one row class. A row whose first columns are a model's
    extends that model (`base`): it declares only the fields after the model's."""

    name: str
    doc: str
    fields: list[Field]
    base: str = "Row"
    inherited: int = 0  # how many of `fields` the base declares
    rows: str = "record"  # config.ROWS: what kind of class

    @property
    def own_fields(self) -> list[tuple[int, Field]]:
        """(index, field) of each field this class declares."""
        return list(enumerate(self.fields))[self.inherited :]

    @property
    def fields_lines(self) -> list[str]:
        """`_fields = (...)`, laid out as ruff would."""
        names = [f'"{f.name}"' for f in self.fields]
        if len(names) == 1:  # a one-element tuple
            return [f"{_CLASS_BODY}_fields = ({names[0]},)"]
        lines = call(f"{_CLASS_BODY}_fields = (", names, ")", indent=0, collection=True)
        if self.inherited:  # the model's fields and more
            lines[0] += "  # type: ignore[assignment]"
        return lines

    @property
    def make_lines(self) -> list[str]:
        """`def make(cls, a: A, ...) -> Name:` and its body."""
        params = naming.parameter_names((f.name for f in self.fields), {"cls"})
        signature = call(
            f"{_CLASS_BODY}def make(",
            ["cls", *(f"{p}: {f.annotation}" for p, f in zip(params, self.fields, strict=True))],
            f") -> {self.name}:",
            indent=0,
        )
        inner = _CLASS_BODY * 2
        values = f"({params[0]},)" if len(params) == 1 else f"({', '.join(params)})"
        if not params:
            values = "()"
        # The signature takes exactly the fields: no length to check (make_row's). A
        # local typed as the class (`Tuple` is typed Any), named apart from the fields.
        local = next(n for n in (f"row{'_' * k}" for k in range(len(params) + 1))
                     if n not in params)  # fmt: skip
        made = f"{inner}{local}: {self.name} = cls.Tuple("
        body = call(made, [values], ")", indent=0)
        if any(too_long(line) for line in body):  # the tuple itself one value a line
            tuple_lines = [f"{inner}        {p}," for p in params]
            body = [made, f"{inner}    (", *tuple_lines, f"{inner}    )", f"{inner})"]
        body.append(f"{inner}return {local}")
        if self.inherited:  # a row extending a model takes more values than its `make`
            signature[0] += "  # type: ignore[override]"
        doc = f'{inner}"""A row of these values, built in Python (asyncpg builds query results)."""'
        return [*signature, doc, *body]


# The base class of a row class by `rows`, and the module it needs.
_BASES = {
    "record": ("Row", None),
    "dataclass": ("", "dataclasses"),
    "pydantic": ("pydantic.BaseModel", "pydantic"),
    "msgspec": ("msgspec.Struct, frozen=True", "msgspec"),
}


def row_class(
    name: str,
    doc: str,
    fields: list[Field],
    imports: Imports,
    rows: str,
    base: tuple[str, int] | None = None,
) -> RowClass:
    """A row class, and the imports its module needs for it; `base`: the model it extends
    and how many fields that model has."""
    if rows == "record":
        imports.name("typing", "TYPE_CHECKING")
        imports.runtime("column")
        if base is None:
            imports.runtime("Row")
    default, module = _BASES[rows]
    if module is not None:
        imports.module(module)
    if base is None:
        return RowClass(name, doc, fields, default, 0, rows)
    imports.model(base[0])
    frozen = ", frozen=True" if rows == "msgspec" else ""  # as its base is
    return RowClass(name, doc, fields, base[0] + frozen, base[1], rows)


def construct(rows: str, cls: str, values: list[str], imports: Imports) -> tuple[str, list[str]]:
    """How a row of class `cls` is built in Python from `values`, each an expression (a
    value, or `*r[i:j]`, several): the callee up to its "(", and its arguments; the
    runtime helper it calls is imported."""
    if rows == "record":
        args = [v.removeprefix("*") for v in values]
        if len(values) == 1 and values[0].startswith("*"):  # a whole row: the tuple itself
            return f"{cls}.Tuple(", [args[0]]  # a slice of the model's width: as is
        return f"{cls}.make(", args
    if rows == "pydantic":
        imports.runtime("pydantic_row")
        return "pydantic_row(", [cls, *values]
    return f"{cls}(", values
