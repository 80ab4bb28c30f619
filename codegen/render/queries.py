"""One module per queries file: a SQL constant and a function per query.

What each command's function looks like is written in `templates/_commands.j2`, one macro
per command; this module computes what those macros read (`Function`) and which imports
the module needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2

from codegen import naming
from codegen.analyze import Analysis, Col
from codegen.commands import Command
from codegen.config import Config
from codegen.render.imports import Imports
from codegen.render.layout import doc_line, py_string
from codegen.render.pytypes import TypeMapper
from codegen.render.rows import Field, RowClass, construct, row_class


@dataclass(frozen=True)
class Function:
    """What the command macros read for one query."""

    name: str
    const: str
    query: str  # the query's name, for messages
    sql: str  # a Python literal
    command: Command
    doc: list[str]
    source: str  # file:line
    params: list[Field]
    row_type: str | None  # the class or type rows come back as
    row_class: RowClass | None  # a row class generated next to the function
    # Rows built in Python from the fetched Record `{r}` (embeds; every row unless rows =
    # "record"): the call's callee, up to its "(", and its arguments. None: asyncpg builds.
    row_builder: tuple[str, tuple[str, ...]] | None
    params_class: str | None
    table: str | None
    copy_columns: list[str]  # quoted
    scalar: bool  # one column, returned as the value itself
    always_one: bool  # the statement returns exactly one row (or fails)
    value_always: bool  # ... and its one column is NOT NULL

    @property
    def args(self) -> list[str]:
        """What the driver call takes: the SQL, then the parameters."""
        return [self.const, *(p.name for p in self.params)]

    @property
    def record_rows(self) -> bool:
        """Rows are built by asyncpg itself: the driver call passes `record_class`."""
        return self.row_type is not None and not self.scalar and self.row_builder is None

    def fetch_args(self, *args: str) -> list[str]:
        """The driver call's arguments (`args`, else the SQL and parameters), plus
        `record_class=` when asyncpg builds the rows."""
        given = list(args) or self.args
        return [*given, f"record_class={self.row_type}.Record"] if self.record_rows else given

    def local(self, name: str) -> str:
        """The name of the body's variable `name`, clear of every parameter's."""
        return naming.local_name(name, (p.name for p in self.params))

    @property
    def callee(self) -> str:
        assert self.row_builder is not None
        return self.row_builder[0]

    def build(self, var: str) -> list[str]:
        """The arguments that build one row from the Record `var`."""
        assert self.row_builder is not None
        return [b.replace("{r}", var) for b in self.row_builder[1]]


def named_sql(name: str, command: Command, sql: str) -> str:
    """The SQL the server runs, led by its header as sqlc emits it, so pg_stat_statements,
    pg_stat_activity and the server log show which query it is."""
    return f"-- name: {name} :{command}\n{sql}"


def render_queries(
    env: jinja2.Environment,
    path: str,
    analyses: list[Analysis],
    mapper: TypeMapper,
    config: Config,
    header: str,
) -> str:
    imports = Imports()
    imports.runtime("Executor")
    imports.name("typing", "Final")
    functions = []
    names: dict[str, str] = {}
    for a in analyses:
        fname = naming.function_name(a.query.name)
        if fname in names:
            raise a.query.error(f"its function name {fname} is also {names[fname]}'s; rename one")
        names[fname] = a.query.name
        functions.append(_function(a, fname, mapper, imports, config))
    return env.get_template("queries.py.j2").render(
        header=header,
        source=Path(path).as_posix(),
        imports=imports.sections(),
        functions=functions,
    )


def _function(
    a: Analysis, fname: str, mapper: TypeMapper, imports: Imports, config: Config
) -> Function:
    q = a.query
    command = q.command
    scalar = len(a.columns) == 1 and a.model is None and a.columns[0].embed is None
    row_type, row_fields, row_builder = _row(a, scalar, mapper, imports, config)
    params = _params(a, mapper, imports)
    params_class = naming.params_class(q.name) if params or command.takes_batch else None
    _command_imports(a, command, scalar, imports)
    _params_class_imports(command, params, imports)
    returned = f"A row returned by {fname}."
    base = None
    if a.base_model is not None:  # the row starts with a model's columns: it extends it
        width = len(mapper.catalog.tables[a.base_model].columns)
        base = (naming.class_name(a.base_model, config.rename), width)
    made = None
    if row_fields:
        made = row_class(str(row_type), returned, row_fields, imports, config.rows, base)
    return Function(
        name=fname,
        const=naming.constant_name(fname),
        query=q.name,
        sql=py_string(named_sql(q.name, command, a.sql)),
        command=command,
        doc=[doc_line(d) for d in q.doc] or [f"{q.name} :{command}"],
        source=f"{Path(q.source.path).as_posix()}:{q.line}",
        params=params,
        row_type=row_type,
        row_class=made,
        row_builder=row_builder,
        params_class=params_class,
        table=a.table,
        copy_columns=[f'"{c}"' for c in a.copy_columns],
        scalar=scalar,
        always_one=a.always_one_row,
        value_always=a.always_one_row and scalar and not a.columns[0].nullable,
    )


def _params(a: Analysis, mapper: TypeMapper, imports: Imports) -> list[Field]:
    command = a.query.command
    names = naming.parameter_names(p.name for p in a.params)
    narg = {p.number for p in a.query.params if p.nullable}  # `sqlc.narg`: None by default
    keyword = not command.takes_batch  # a batch's Params tuple lists every field
    return [
        Field(
            name,
            mapper.param(p.type, p.nullable, imports),
            "None" if keyword and p.number in narg else None,
        )
        for name, p in zip(names, a.params, strict=True)
    ]


def _params_class_imports(command: Command, params: list[Field], imports: Imports) -> None:
    """A batch takes `<Name>Params` tuples; any other query with parameters gets a
    `<Name>Params` TypedDict of its keywords (a parameter with a default is NotRequired),
    so a caller can build its arguments as one typed value: `f(conn, **params)`."""
    if command.takes_batch:
        imports.name("typing", "NamedTuple")
    elif params:
        imports.name("typing", "TypedDict")
        if any(p.default is not None for p in params):
            imports.name("typing", "NotRequired")


def _command_imports(a: Analysis, command: Command, scalar: bool, imports: Imports) -> None:
    if command.takes_batch:
        imports.module("collections.abc")
    if command in (Command.EXECROWS, Command.COPYFROM):
        imports.runtime("rowcount")
    if command == Command.BATCHONE:
        imports.runtime("BatchMismatchError")
    if command == Command.ONE and a.always_one_row and not scalar:
        imports.runtime("NoRowError")


def _origin_key(c: Col) -> str | None:
    return f"{c.origin[0]}.{c.origin[1]}" if c.origin else None


def _row(
    a: Analysis, scalar: bool, mapper: TypeMapper, imports: Imports, config: Config
) -> tuple[str | None, list[Field], tuple[str, tuple[str, ...]] | None]:
    """The row type, the fields of a generated row class, and how a row is built in Python
    (None: asyncpg builds it)."""
    if not (a.columns and a.query.command.returns_rows):
        return None, [], None
    if scalar:
        col = a.columns[0]
        return mapper.py(col.type, col.nullable, imports, _origin_key(col)), [], None
    if a.model is not None:
        model = naming.class_name(a.model, config.rename)
        imports.model(model)
        return model, [], _builder(config.rows, model, ["*{r}"], imports)
    fields, values = _row_fields(a, mapper, imports, config)
    name = naming.row_class(a.query.name)
    nested = any(not v.startswith("{r}") for v in values)
    if not nested:
        values = ["*{r}"]
    return name, fields, _builder(config.rows, name, values, imports, nested)


def _builder(
    rows: str, cls: str, values: list[str], imports: Imports, nested: bool = False
) -> tuple[str, tuple[str, ...]] | None:
    """How `cls` is built from the Record `{r}`; None when asyncpg builds it."""
    if rows == "record" and not nested:
        return None
    callee, args = construct(rows, cls, values, imports)
    return callee, tuple(args)


def _row_fields(
    a: Analysis, mapper: TypeMapper, imports: Imports, config: Config
) -> tuple[list[Field], list[str]]:
    """The row class's fields, and the value of each from the Record `{r}`."""
    fields: list[Field] = []
    parts: list[str] = []
    cols = list(a.columns)
    names = naming.column_names(c.name for c in cols)
    i = 0
    while i < len(cols):
        c = cols[i]
        if c.embed is None:
            annotation = mapper.py(c.type, c.nullable, imports, _origin_key(c))
            fields.append(Field(naming.field_name(names[i]), annotation))
            parts.append(f"{{r}}[{i}]")
            i += 1
            continue
        j = i
        while j < len(cols) and cols[j].embed == c.embed:
            j += 1
        assert c.origin is not None
        model = naming.class_name(c.origin[0], config.rename)
        imports.model(model)
        optional = " | None" if c.embed_optional else ""  # outer-joined: None when no row
        fields.append(Field(naming.field_name(c.embed), model + optional))
        callee, args = construct(config.rows, model, [f"*{{r}}[{i}:{j}]"], imports)
        made = f"{callee}{', '.join(args)})"
        if c.embed_optional:  # None when the join found no row: its key, or every column, NULL
            key = next((k for k in range(i, j) if cols[k].embed_key), None)
            found = f"any(v is not None for v in {{r}}[{i}:{j}])"
            if key is not None:
                found = f"{{r}}[{key}] is not None"
            made = f"{made} if {found} else None"
        parts.append(made)
        i = j
    field_names = [f.name for f in fields]
    if len(set(field_names)) != len(field_names):
        dup = next(n for n in field_names if field_names.count(n) > 1)
        raise a.query.error(f"result has two columns named {dup!r}; alias one of them")
    return fields, parts
