"""Every Python name the generator writes, decided in one place.

Parse and analyze keep SQL names (a parameter `@from` is "from", a column "count" or
`?column?`, repeated as PostgreSQL repeats it); this module turns them into Python: module
names from queries files, function names from query names, model and enum class names,
enum members, field and parameter names, keyword escaping, and the one rule for repeats
(`dedupe`: the second `x` is `x_2`).
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from codegen.errors import CodegenError

# Lower-case names a generated queries module uses at module level: what it imports and
# the builtins in its annotations and bodies. A query function must not shadow them.
_MODULE_LEVEL = frozenset(
    {"collections", "datetime", "decimal", "ipaddress", "uuid", "asyncpg", "rowcount"}
    | {"list", "tuple", "len", "int", "float", "bool", "str", "bytes", "object"}
)
# Fields a row class may not take: asyncpg.Record's methods, the class's `make` and its
# `Record` and `Tuple` classes; `count` and `index` are a tuple's.
_RESERVED_FIELDS = frozenset(
    {"get", "items", "keys", "values", "make", "count", "index", "Record", "Tuple"}
)
# Module names the package itself uses.
_PACKAGE_MODULES = frozenset({"models", "runtime", "__init__"})


def dedupe(names: Iterable[str]) -> list[str]:
    """The names in order, a repeat numbered from 2: [a, b, a] -> [a, b, a_2]."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return out


def escape(name: str, taken: Iterable[str] = ()) -> str:
    """`name_` when `name` is a keyword or one of `taken`, else `name`."""
    return name + "_" if keyword.iskeyword(name) or name in taken else name


def snake_case(name: str) -> str:
    """GetChatModelConfigByID -> get_chat_model_config_by_id; ListByIDs -> list_by_ids."""
    # A plural acronym (IDs, URLs) is one word, not I + Ds.
    name = re.sub(r"([A-Z])([A-Z]+)s(?=[A-Z0-9_]|$)", lambda m: m[1] + m[2].lower() + "s", name)
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    return name.lower()


def module_name(path: str) -> str:
    """queries/chat_messages.sql -> chat_messages; a name the package uses gets `_queries`.

    A file whose name cannot become a module (`2fa.sql`) is an error naming the file.
    """
    stem = Path(path).stem
    name = re.sub(r"\W", "_", stem).lower()
    if not name.isidentifier():
        raise CodegenError(
            f"{path}: the module name {name!r} would not be a Python identifier (it must not "
            "start with a digit); rename the file"
        )
    if name in _PACKAGE_MODULES or keyword.iskeyword(name):
        name += "_queries"
    return name


def function_name(query: str) -> str:
    """GetAuthor -> get_author; Class -> class_ and List -> list_ (a keyword, or a name the
    module itself needs)."""
    return escape(snake_case(query), _MODULE_LEVEL)


def constant_name(function: str) -> str:
    """The module constant holding a query's SQL: get_author -> GET_AUTHOR."""
    return function.upper()


# Names a query function's parameters may not take, whatever the command: its executor
# and the runtime helpers some bodies call. (The body's locals give way instead:
# `local_name`.) So a parameter's name depends on its SQL name only.
_FUNCTION_RESERVED = frozenset({"conn", "rowcount", "make_row"})


def parameter_names(names: Iterable[str], taken: Iterable[str] = ()) -> list[str]:
    """Keyword arguments of a query function (or `make`'s, with `taken`): SQL names
    deduplicated (`$1`, `$2` both compared with `id`: id, id_2), escaped (a keyword,
    `conn`, a runtime helper, or one of `taken`), then deduplicated again."""
    reserved = _FUNCTION_RESERVED | set(taken)
    return dedupe(escape(n, reserved) for n in dedupe(names))


def column_names(names: Iterable[str]) -> list[str]:
    """A result's column names as PostgreSQL reports them, made distinct: `?column?`
    (an expression without a name) becomes `column_<n>` by its position, and a repeated
    name gets `_2`, `_3` (`field_name` then makes each an identifier)."""
    return dedupe(n if n != "?column?" else f"column_{i + 1}" for i, n in enumerate(names))


def local_name(name: str, params: Iterable[str]) -> str:
    """A function body's own variable: `name`, with `_` appended until no parameter is
    called so (a parameter keeps its name; the local gives way)."""
    taken = set(params)
    while name in taken:
        name += "_"
    return name


def field_name(name: str) -> str:
    """A result column as a row class field: an identifier not starting with `_`."""
    ident = re.sub(r"\W", "_", name)
    if not ident or ident[0].isdigit():
        ident = "c_" + ident
    ident = ident.lstrip("_") or "column"
    return escape(ident, _RESERVED_FIELDS)


def singular(name: str) -> str:
    head, _, last = name.rpartition("_")
    if last.endswith("ies") and len(last) > 3:
        last = last[:-3] + "y"
    elif last.endswith(("sses", "xes", "ches", "shes")):
        last = last[:-2]
    elif last.endswith("s") and not last.endswith(("ss", "us", "is")):
        last = last[:-1]
    return f"{head}_{last}" if head else last


def class_name(table: str, rename: Mapping[str, str]) -> str:
    """chat_model_configs -> ChatModelConfig (the singular, as sqlc names models); a table
    in another schema carries the schema's name: app.items -> AppItem."""
    if table in rename:
        return rename[table]
    return "".join(p.capitalize() for p in singular(table.replace(".", "_")).split("_") if p)


def enum_class(name: str) -> str:
    """mood -> Mood; an enum in another schema carries the schema's name: app.mood -> AppMood."""
    return "".join(p.capitalize() for p in name.replace(".", "_").split("_") if p)


def enum_members(values: Iterable[str]) -> list[str]:
    """Enum values as members: 'in progress' and 'in-progress' are IN_PROGRESS, IN_PROGRESS_2."""
    return dedupe(_enum_member(v) for v in values)


def _enum_member(value: str) -> str:
    ident = re.sub(r"\W+", "_", value).strip("_").upper() or "EMPTY"
    if ident[0].isdigit():
        ident = "V_" + ident
    return ident


def row_class(query: str) -> str:
    return query + "Row"


def params_class(query: str) -> str:
    return query + "Params"
