"""CREATE TRIGGER: the function it executes must exist, as PostgreSQL checks.

A trigger changes no type the generated code uses, but the statement fails when its
function does not exist ("function f() does not exist": a trigger function is called
with no arguments, so only an overload taking none counts) or does not return `trigger`;
a migration that fails leaves nothing after it applied. The function is looked up as
PostgreSQL does: schema-qualified, else along the search_path, after pg_catalog.

PostgreSQL's own trigger functions are not in the dumped catalog (it leaves out those
returning `trigger`), nor are an extension's (moddatetime(), lo_manage(), ...), so a
name no CREATE FUNCTION made is refused only when it is none of the built-in ones and
the schema creates no extension.
"""

from __future__ import annotations

from pglast import ast

from codegen.catalog.builder import Builder
from codegen.catalog.model import relation_key
from codegen.errors import CodegenError, SourceText, SqlState
from codegen.parse.nodes import svals
from codegen.pgtypes import Func

# pg_proc's functions returning trigger, RI_FKey_* (foreign keys' own) aside
BUILTIN = frozenset(
    {
        "suppress_redundant_updates_trigger",
        "tsvector_update_trigger",
        "tsvector_update_trigger_column",
        "unique_key_recheck",
    }
)


def create_trigger(b: Builder, stmt: ast.CreateTrigStmt, source: SourceText) -> None:
    names = svals(stmt.funcname)
    shown = ".".join(names)
    overloads = _overloads(b, names)
    if overloads is None:
        if names[-1] in BUILTIN and (len(names) == 1 or names[-2] == "pg_catalog"):
            return
        if b.extensions or b.foreign_extensions:
            return  # an extension's trigger function, not in its dump
        raise CodegenError(
            f"function {shown}() does not exist",
            source,
            sqlstate=SqlState.UNDEFINED_FUNCTION,
        )
    bare = [f for f in overloads if not f.args]
    if not bare:
        raise CodegenError(
            f"function {shown}() does not exist: a trigger function takes no arguments "
            "(its trigger's arguments reach it as TG_ARGV)",
            source,
            sqlstate=SqlState.UNDEFINED_FUNCTION,
        )
    if bare[0].ret != "trigger":
        raise CodegenError(
            f"function {shown} must return type trigger, not {bare[0].ret}",
            source,
            sqlstate=SqlState.INVALID_OBJECT_DEFINITION,
        )


def _overloads(b: Builder, names: list[str]) -> list[Func] | None:
    """The user's overloads of the function named, as the search_path finds it; None when
    the schema created none of that name."""
    schemas = [names[-2]] if len(names) > 1 else list(b.search_path)
    for schema in schemas:
        found = b.functions.get(relation_key(schema, names[-1]))
        if found:
            return found
    return None
