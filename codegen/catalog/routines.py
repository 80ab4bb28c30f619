"""CREATE FUNCTION / PROCEDURE, domains and composite types: what queries may call and name.

A function is recorded as PostgreSQL's catalog would hold it (`pgtypes.Func`): its input
argument types and names, how many have defaults, VARIADIC, STRICT, SETOF, and for OUT
arguments or RETURNS TABLE the columns it returns. Overloads sit side by side under one
key (`name` in public, `schema.name` elsewhere); CREATE OR REPLACE replaces the overload
with the same input types, DROP FUNCTION removes one (or every one, without arguments).

A domain is its base type for typing (PostgreSQL reports a domain column as its base
type, and resolves operators on it); its NOT NULL is not trusted (an outer join or a
subselect can still yield NULL). A composite type is a known type name.
"""

from __future__ import annotations

from collections.abc import Mapping

from pglast import ast
from pglast.enums import FunctionParameterMode

from codegen.catalog.builder import Builder
from codegen.catalog.model import Column, relation_key
from codegen.catalog.names import declared_domain, type_key, type_of
from codegen.errors import CodegenError, SourceText, SqlState
from codegen.extensions import extension_names, extension_requires
from codegen.parse.nodes import present, svals
from codegen.pgtypes import Func, array_key

_IN = (
    FunctionParameterMode.FUNC_PARAM_IN,
    FunctionParameterMode.FUNC_PARAM_DEFAULT,
    FunctionParameterMode.FUNC_PARAM_INOUT,
    FunctionParameterMode.FUNC_PARAM_VARIADIC,
)
_OUT = (
    FunctionParameterMode.FUNC_PARAM_OUT,
    FunctionParameterMode.FUNC_PARAM_INOUT,
    FunctionParameterMode.FUNC_PARAM_TABLE,
)


def function_key(b: Builder, names: list[str], source: SourceText) -> str:
    """Where CREATE FUNCTION puts a function: its schema, or the first on the search_path."""
    if len(names) > 1:
        if names[-2] not in b.schemas:
            raise CodegenError(
                f'schema "{names[-2]}" does not exist',
                source,
                sqlstate=SqlState.INVALID_SCHEMA_NAME,
            )
        return relation_key(names[-2], names[-1])
    schema = next((s for s in b.search_path if s in b.schemas), "public")
    return relation_key(schema, names[-1])


def _arg_type(b: Builder, node: ast.TypeName | None, source: SourceText) -> str:
    """An argument's type; `table.column%TYPE` is that column's type."""
    node = present(node)
    if not node.pct_type:
        return type_of(b, node, source)
    names = svals(node.names)
    key = b.find_key(names[-3] if len(names) > 2 else None, names[-2])
    table = b.tables.get(key) if key else None
    col = table.column(names[-1]) if table else None
    if col is None:
        raise CodegenError(f"type {'.'.join(names)}%TYPE: no such column", source, node.location)
    return col.type


def create_function(b: Builder, stmt: ast.CreateFunctionStmt, source: SourceText) -> None:
    key = function_key(b, svals(stmt.funcname), source)
    params = [p for p in stmt.parameters or () if isinstance(p, ast.FunctionParameter)]
    ins = [p for p in params if p.mode in _IN]
    outs = [p for p in params if p.mode in _OUT]
    args = tuple(_arg_type(b, p.argType, source) for p in ins)
    out = tuple(
        (p.name or f"column{i + 1}", _arg_type(b, p.argType, source)) for i, p in enumerate(outs)
    )
    ret, returns_set = _returns(b, stmt, out, source)
    if ret in b.tables and not out:  # RETURNS [SETOF] a table's row type: its columns
        out = tuple((c.name, c.type) for c in b.tables[ret].columns)
    options = {o.defname: o.arg for o in stmt.options or () if isinstance(o, ast.DefElem)}
    strict = options.get("strict")
    func = Func(
        name=key.rpartition(".")[2],
        kind="p" if stmt.is_procedure else "f",
        returns_set=returns_set,
        strict=isinstance(strict, ast.Boolean) and bool(strict.boolval),
        defaults=sum(1 for p in ins if p.defexpr is not None),
        variadic=any(p.mode == FunctionParameterMode.FUNC_PARAM_VARIADIC for p in ins),
        ret=ret,
        args=args,
        argnames=tuple(p.name or "" for p in ins) if any(p.name for p in ins) else (),
        out=out if len(out) > 1 or ret == "record" or ret in b.tables else (),
        volatile=_volatility(stmt, options, returns_set),
    )
    same = [f for f in b.functions.get(key, ()) if f.args == args]
    if same and not stmt.replace:
        raise CodegenError(
            f"function {key}({', '.join(args)}) already exists",
            source,
            sqlstate=SqlState.DUPLICATE_FUNCTION,
        )
    b.functions[key] = [f for f in b.functions.get(key, ()) if f.args != args] + [func]


def _volatility(
    stmt: ast.CreateFunctionStmt, options: Mapping[str | None, object], returns_set: bool
) -> str:
    """IMMUTABLE, STABLE or VOLATILE as Func.volatile: "i", "s", "v" (the default). A
    LANGUAGE sql function PostgreSQL may inline (no SETOF, SECURITY DEFINER or SET) is
    checked by its body once inlined, which is not read here: it is taken as immutable."""
    language = options.get("language")
    sql = stmt.sql_body is not None or (isinstance(language, ast.String) and language.sval == "sql")
    definer = options.get("security")
    definer = isinstance(definer, ast.Boolean) and bool(definer.boolval)
    if sql and not returns_set and not definer and "set" not in options:
        return "i"
    option = options.get("volatility")
    word = option.sval if isinstance(option, ast.String) else "volatile"
    return {"immutable": "i", "stable": "s"}.get(str(word), "v")


def _returns(
    b: Builder, stmt: ast.CreateFunctionStmt, out: tuple[tuple[str, str], ...], source: SourceText
) -> tuple[str, bool]:
    """(result type, returns a set): a procedure returns nothing; OUT arguments alone
    make the result their one type, or a record of them."""
    node = stmt.returnType
    if node is None:
        if stmt.is_procedure:
            return "void", False
        return (out[0][1] if len(out) == 1 else "record"), False
    if svals(node.names)[-1] == "trigger":
        return "trigger", False
    ret = type_of(b, node, source)
    if ret == "record" and len(out) == 1:
        ret = out[0][1]  # RETURNS TABLE (x int) returns a set of int
    return ret, bool(node.setof)


def overloads(b: Builder, obj: ast.ObjectWithArgs, source: SourceText) -> list[tuple[str, ...]]:
    """The overloads `f(args)` names (`f` alone: all of them), as `depends` objects."""
    key = function_key(b, svals(obj.objname), source)
    params = [p for p in obj.objfuncargs or () if isinstance(p, ast.FunctionParameter)]
    args = tuple(_arg_type(b, p.argType, source) for p in params if p.mode in _IN)
    return [
        ("function", key, *f.args)
        for f in b.functions.get(key, ())
        if obj.args_unspecified or f.args == args
    ]


def create_domain(b: Builder, stmt: ast.CreateDomainStmt, source: SourceText) -> None:
    name = type_key(b, svals(stmt.domainname), source)
    b.domains[name] = type_of(b, stmt.typeName, source)  # NOT NULL: not trusted


def create_composite(b: Builder, stmt: ast.CompositeTypeStmt, source: SourceText) -> None:
    rv = present(stmt.typevar)
    name = type_key(b, [n for n in (rv.schemaname, rv.relname) if n], source)
    cols = [c for c in stmt.coldeflist or () if isinstance(c, ast.ColumnDef)]
    b.composites[name] = tuple(composite_field(b, col, source) for col in cols)
    b.type_parts[name] = tuple(c.type for c in b.composites[name])  # in use, it cannot go


def composite_field(b: Builder, col: ast.ColumnDef, source: SourceText) -> Column:
    """A composite type's field (CREATE TYPE t AS (...), ALTER TYPE t ADD ATTRIBUTE)."""
    return Column(
        col.colname or "",
        type_of(b, col.typeName, source),
        False,
        domain=declared_domain(b, col.typeName),
    )


def create_extension(b: Builder, stmt: ast.CreateExtensionStmt, source: SourceText) -> None:
    """CREATE EXTENSION: its types, functions, operators and casts become known (with what
    it requires). One the generator has no dump of makes the types its columns name
    opaque (`names.type_of`); a query calling its functions is refused there ("function
    ... does not exist")."""
    extname = present(stmt.extname)
    todo = [extname]
    if extname not in extension_names() and extname != "plpgsql":
        b.foreign_extensions.add(extname)
    while todo:
        name = todo.pop()
        if name in extension_names() and name not in b.extensions:
            b.extensions.add(name)
            todo.extend(extension_requires(name, b.version))


def drop_extension(b: Builder, name: str) -> None:
    b.extensions.discard(name)
    b.foreign_extensions.discard(name)


def range_constructors(b: Builder, range_key: str, multi_key: str) -> None:
    """The functions CREATE TYPE r AS RANGE makes, as PostgreSQL does: r(lo, hi) and r(lo,
    hi, bounds) (not strict: a NULL bound is unbounded), and its multirange m's m(), m(r)
    and m(VARIADIC r[]). They keep their names when the type is renamed, and go with it
    (`Builder.constructors`, "auto" in `depends`)."""
    elem = b.ranges[range_key]

    def made(key: str, args: tuple[str, ...], strict: bool, variadic: bool = False) -> Func:
        bare = key.rpartition(".")[2]
        return Func(bare, "f", False, strict, 0, variadic, key, args)

    funcs = [
        (range_key, made(range_key, (elem, elem), False)),
        (range_key, made(range_key, (elem, elem, "text"), False)),
        (multi_key, made(multi_key, (), True)),
        (multi_key, made(multi_key, (range_key,), True)),
        (multi_key, made(multi_key, (array_key(range_key),), True, variadic=True)),
    ]
    for key, f in funcs:
        b.functions[key] = [g for g in b.functions.get(key, ()) if g.args != f.args] + [f]
    b.constructors[range_key] = tuple(("function", key, *f.args) for key, f in funcs)
